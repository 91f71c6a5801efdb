/**
 * SVG and PNG: Mermaid text rendered by Mermaid itself in the system's headless Chromium,
 * driven by playwright-core. Mermaid is loaded from node_modules/mermaid/dist (a file, never
 * the network) and initialised with the same `mermaidConfig` as the web page, so the picture
 * is the page's picture. Nothing downloads a browser: a missing Chromium is one clear line.
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { UserError } from '../errors.ts';
import { mermaidConfig, type DiagramLayout } from '../../common/mermaid-config.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { elkScriptDir } from './layout.ts';

export type ImageFormat = 'svg' | 'png';

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];

export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** $CHROMIUM_PATH, then the usual system locations; null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv) return executable(fromEnv) ? fromEnv : null;
  for (const path of candidates) if (executable(path)) return path;
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const path = `${dir}/${name}`;
      if (executable(path)) return path;
    }
  }
  return null;
}

export function requireChromium(env: NodeJS.ProcessEnv = process.env): string {
  const found = findChromium(env);
  if (found) return found;
  if (env.CHROMIUM_PATH) throw new UserError(`CHROMIUM_PATH is set to "${env.CHROMIUM_PATH}", which is not an executable file; point it at Chromium or Chrome, or unset it.`, { status: 503, exitCode: 1 });
  throw new UserError('Rendering svg/png needs Chromium and none was found (looked for chromium, chromium-browser, google-chrome and $CHROMIUM_PATH): install it with `apt-get install chromium` (Debian/Ubuntu), or set CHROMIUM_PATH. The mermaid and markdown formats need no browser.', { status: 503, exitCode: 1 });
}

export const mermaidScript = fileURLToPath(import.meta.resolve('mermaid/dist/mermaid.min.js'));

const localOrigin = 'http://relscope.invalid';
const pageHtml = '<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:#fff}</style></head><body><div id="out"></div></body></html>';

/** One Chromium with Mermaid loaded, reused for several renders; close() when done. */
export class MermaidRenderer {
  private constructor(private readonly browser: Browser) {}

  static async launch(executablePath: string = requireChromium()): Promise<MermaidRenderer> {
    try {
      const browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
      return new MermaidRenderer(browser);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new UserError(`Chromium at ${executablePath} did not start: ${reason}. Reinstall it (\`apt-get install chromium\`) or point CHROMIUM_PATH at a working one.`, { status: 503, exitCode: 1, cause: error });
    }
  }

  get connected(): boolean {
    return this.browser.isConnected();
  }

  async render(text: string, format: ImageFormat, layout: DiagramLayout = 'dagre'): Promise<Buffer> {
    // ELK's browser build is ES modules loading their own chunks: they are served from
    // node_modules under a made-up origin; every other request is refused (no network).
    const context = await this.browser.newContext({ deviceScaleFactor: format === 'png' ? 2 : 1, javaScriptEnabled: true, offline: layout === 'dagre' });
    try {
      const page = await context.newPage();
      if (layout === 'elk') {
        await context.route('**/*', async (route) => {
          const url = new URL(route.request().url());
          if (url.origin !== localOrigin) return route.abort();
          if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', body: pageHtml });
          const file = url.pathname.startsWith('/elk/') ? join(elkScriptDir, url.pathname.slice(5).replace(/\.\.+/g, '')) : null;
          return file ? route.fulfill({ contentType: 'text/javascript', body: readFileSync(file) }) : route.abort();
        });
        await page.goto(`${localOrigin}/`);
        await page.addScriptTag({ path: mermaidScript });
        await page.addScriptTag({ type: 'module', content: `import elk from '${localOrigin}/elk/mermaid-layout-elk.esm.min.mjs'; mermaid.registerLayoutLoaders(elk); window.relscopeElk = true;` });
        await page.waitForFunction(() => (globalThis as unknown as { relscopeElk?: boolean }).relscopeElk === true);
      } else {
        await page.setContent(pageHtml);
        await page.addScriptTag({ path: mermaidScript });
      }
      const result = await page.evaluate(async ({ text, config }) => {
        type MermaidGlobal = { initialize(c: unknown): void; render(id: string, t: string): Promise<{ svg: string }> };
        const mermaid = (globalThis as unknown as { mermaid: MermaidGlobal }).mermaid;
        mermaid.initialize(config);
        try {
          const { svg } = await mermaid.render('relscope-diagram', text);
          const out = document.getElementById('out')!;
          out.innerHTML = svg;
          return { svg, error: null as string | null };
        } catch (error) {
          return { svg: '', error: error instanceof Error ? error.message : String(error) };
        }
      }, { text, config: { ...mermaidConfig, layout } });
      if (result.error !== null) throw new UserError(`Mermaid could not render the diagram: ${result.error.split('\n')[0]}`, { status: 500, exitCode: 1 });
      if (result.svg.includes('Maximum text size in diagram exceeded')) {
        throw new UserError('Mermaid refused the diagram as too large; export an overview or use --focus TABLE --depth N.', { status: 500, exitCode: 1 });
      }
      if (format === 'svg') return Buffer.from(result.svg.endsWith('\n') ? result.svg : `${result.svg}\n`, 'utf8');
      const element = await page.$('#out > svg');
      if (!element) throw new UserError('Mermaid produced no SVG element to rasterise.', { status: 500, exitCode: 1 });
      return await element.screenshot({ type: 'png', omitBackground: false, animations: 'disabled' });
    } finally {
      await context.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
  }
}

let queue: Promise<unknown> = Promise.resolve();

/** Rendered images by format and text: the same text always renders to the same bytes. */
const rendered = new Map<string, Promise<Buffer>>();
const maxRendered = 16;

/**
 * Launches Chromium, renders one diagram, closes it (about 1.5 s of start-up on 2 cores).
 * Calls are queued, one browser at a time: each holds a few hundred MB. Answers are kept for
 * the last 16 texts, so a page reload or a repeated export does not start a browser again.
 */
export function renderImage(text: string, format: ImageFormat, layout: DiagramLayout = 'dagre'): Promise<Buffer> {
  const key = `${format}\u0000${layout}\u0000${text}`;
  const hit = rendered.get(key);
  if (hit) {
    rendered.delete(key);
    rendered.set(key, hit);
    return hit;
  }
  const result = renderImageUncached(text, format, layout);
  rendered.set(key, result);
  if (rendered.size > maxRendered) rendered.delete(rendered.keys().next().value!);
  result.catch(() => rendered.delete(key));
  return result;
}

function renderImageUncached(text: string, format: ImageFormat, layout: DiagramLayout): Promise<Buffer> {
  const run = queue.then(async () => {
    const renderer = await MermaidRenderer.launch();
    try {
      return await renderer.render(text, format, layout);
    } finally {
      await renderer.close();
    }
  });
  queue = run.catch(() => {});
  return run;
}
