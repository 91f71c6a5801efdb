// The lab worker from source: registers tsx in this thread (as bin/relscope.js does for the main
// thread; a worker does not inherit it, and vitest compiles TypeScript in-process only), then
// loads the TypeScript worker. The npm package runs the compiled dist/node/lab-worker.js instead.
import { workerData } from 'node:worker_threads';

const marker = Symbol.for('relscope.tsx-registered');
// Under `tsx server/cli.ts` or `node --import tsx` the worker inherits those options and has tsx already.
const inherited = process.execArgv.some((arg) => /\btsx\b/.test(arg));
if (!globalThis[marker] && !inherited) {
  const [{ register }, { register: registerCjs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  const options = workerData.tsconfig ? { tsconfig: workerData.tsconfig } : undefined;
  registerCjs(options);
  register(options);
  globalThis[marker] = true;
}
await import(workerData.entry);
