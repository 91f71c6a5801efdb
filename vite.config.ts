import { relative, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const projectRoot = import.meta.dirname;

/**
 * Records which project files went into the bundle (web/ and the browser-safe server/
 * modules it imports), so `npm start` can tell whether dist/web is older than its sources
 * (server/build-web.ts).
 */
function buildInputs(): Plugin {
  return {
    name: 'relscope-build-inputs',
    apply: 'build',
    generateBundle() {
      const inputs = [...this.getModuleIds()]
        .map((id) => id.split('?')[0]!)
        .filter((id) => id.startsWith(projectRoot) && !id.includes('/node_modules/'))
        .map((id) => relative(projectRoot, id))
        .sort();
      this.emitFile({ type: 'asset', fileName: 'build-inputs.json', source: `${JSON.stringify({ inputs: [...new Set(inputs)] }, null, 2)}\n` });
    },
  };
}

/**
 * The page lives in web/ and builds to dist/web, which `relscope serve` serves.
 * In `npm run dev` (server/dev.ts) Vite serves web/ with hot reload and proxies /api
 * to the relscope API server that the same command starts (RELSCOPE_API_URL).
 */
export default defineConfig({
  root: resolve(projectRoot, 'web'),
  base: '/',
  publicDir: 'public',
  plugins: [buildInputs()],
  build: {
    outDir: resolve(projectRoot, 'dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    // Mermaid's chunks are large by nature and load only when a diagram is drawn.
    chunkSizeWarningLimit: 1600,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.RELSCOPE_DEV_PORT ?? 5173),
    proxy: {
      // A regular expression, so that the page's own module /api.ts is not sent to the API.
      '^/api/': { target: process.env.RELSCOPE_API_URL ?? 'http://127.0.0.1:5178' },
    },
  },
  preview: { host: '127.0.0.1' },
});
