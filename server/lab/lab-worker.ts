/**
 * The lab worker, main-thread side: comparisons run in a worker thread with an ORM of its own,
 * so that a large synchronous hydration (seconds of MikroORM work) never blocks the server's
 * event loop (/api/health, the page, cancel), and a runaway comparison meets a memory budget
 * of its own instead of the server's heap.
 *
 * - One long-lived worker per context, started on the first comparison (or pre-warmed by
 *   `serve`); comparisons on a real server share it (they run concurrently, as in one thread).
 * - Cancel: the abort is posted; a worker whose event loop is free answers at once and stops by
 *   itself. One that does not answer within abortGraceMs is inside a synchronous hydration: it
 *   is terminated (its connections close with it), the comparison ends as cancelled, and the
 *   next comparison starts a new worker.
 * - A crash of any kind (out of memory at the budget, an uncaught error) ends the comparisons
 *   of that worker only, each with one line naming the cause; the next gets a new worker.
 * - The embedded database's process belongs to the main thread: the worker's EXPLAIN watchdog
 *   asks for kill/start by message (see worker.ts).
 */
import { Worker } from 'node:worker_threads';
import { totalmem } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EmbeddedPostgres } from '../db/embedded.ts';
import { UserError, errorMessage } from '../errors.ts';
import { tsconfigFromSettings } from '../project/tsx.ts';
import { abortError } from './queue.ts';
import { deserializeError, type FromWorker, type ToWorker, type WorkerSetup } from './worker-protocol.ts';
import type { CompareEvent, CompareReport } from '../../common/lab-types.ts';

/** How long a worker may take to see an abort before it is terminated. */
export const abortGraceMs = 1000;
/** After it saw the abort, how long it may take to stop (one more hydration at most) before it is terminated. */
const stopGraceMs = 15_000;

/**
 * The worker's heap budget (V8 old generation): $RELSCOPE_LAB_MEMORY_MB, else a quarter of
 * the machine's memory within 512–2048 MB.
 */
export function defaultLabMemoryMb(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.RELSCOPE_LAB_MEMORY_MB);
  if (Number.isInteger(fromEnv) && fromEnv >= 16) return fromEnv;
  return Math.max(512, Math.min(2048, Math.round(totalmem() / 1024 / 1024 / 4)));
}

export interface LabWorkerOptions {
  setup: WorkerSetup;
  /** The worker's heap budget in MB (maxOldGenerationSizeMb). */
  memoryMb: number;
  /** The database's current address (the embedded one may move to another port on restart). */
  currentUrl: () => string;
  /** The embedded database's process, which the worker's watchdog asks the main thread to kill or start. */
  embedded?: Pick<EmbeddedPostgres, 'kill' | 'start'>;
}

export interface WorkerRunOptions {
  signal?: AbortSignal;
  onEvent?: (event: CompareEvent) => void;
  onProgress?: (message: string) => void;
}

interface Run {
  worker: Worker;
  resolve: (report: CompareReport) => void;
  reject: (error: Error) => void;
  options: WorkerRunOptions;
  abortSeen: boolean;
  timers: NodeJS.Timeout[];
}

interface Instance {
  worker: Worker;
  ready: Promise<void>;
  /** Why it ended, once it has (the error every run of it still open ends with). */
  ended?: Error;
}

/** Where the worker's code is: the compiled entry in the npm package, else the TypeScript source through a tsx bootstrap. */
function workerEntry(): { file: string; workerData: Record<string, unknown> } {
  // tools/build-node.mjs rewrites import.meta.url to this source file's URL, so both paths are relative to server/lab/.
  const compiled = fileURLToPath(new URL('../../dist/node/lab-worker.js', import.meta.url));
  if (process.env.RELSCOPE_BUILD_COMPILED === '1' && existsSync(compiled)) return { file: compiled, workerData: {} };
  const tsconfig = tsconfigFromSettings();
  return {
    file: fileURLToPath(new URL('./worker-boot.mjs', import.meta.url)),
    workerData: { entry: new URL('./worker.ts', import.meta.url).href, ...(tsconfig ? { tsconfig } : {}) },
  };
}

export class LabWorker {
  private instance: Instance | null = null;
  private readonly runs = new Map<number, Run>();
  private nextId = 1;
  private closed = false;
  /** Workers started so far (the first, and one after each crash or forced stop). */
  started = 0;

  constructor(private readonly options: LabWorkerOptions) {}

  /** Starts the worker in the background (its ORM's entity discovery takes a second or more), so the first Run does not wait for it. */
  warm(): void {
    if (this.closed) return;
    void this.ensure().catch(() => {}); // a failure is reported by the comparison that needs it
  }

  /** The worker thread's id while one runs (tests, diagnostics). */
  get threadId(): number | null {
    return this.instance && !this.instance.ended ? this.instance.worker.threadId : null;
  }

  /** Runs one comparison in the worker; the input is validated again there (the main thread already answered 400 for an invalid one). */
  async run(input: unknown, options: WorkerRunOptions = {}): Promise<CompareReport> {
    if (this.closed) throw new UserError('The server is shutting down.', { status: 503 });
    const instance = await this.ensure();
    const { signal } = options;
    if (signal?.aborted) throw abortError();
    const id = this.nextId++;
    const worker = instance.worker;
    return new Promise<CompareReport>((resolve, reject) => {
      const run: Run = { worker, resolve, reject, options, abortSeen: false, timers: [] };
      const onAbort = () => {
        this.post(worker, { type: 'abort', id });
        run.timers.push(setTimeout(() => {
          // Still inside a synchronous hydration: stop the thread; the comparison ends as cancelled.
          if (this.runs.get(id) === run && !run.abortSeen) this.stop(worker, abortError(), id);
        }, abortGraceMs));
        run.timers.push(setTimeout(() => {
          if (this.runs.get(id) === run) this.stop(worker, abortError(), id);
        }, stopGraceMs));
      };
      run.resolve = (report) => { signal?.removeEventListener('abort', onAbort); run.timers.forEach(clearTimeout); resolve(report); };
      run.reject = (error) => { signal?.removeEventListener('abort', onAbort); run.timers.forEach(clearTimeout); reject(error); };
      this.runs.set(id, run);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.post(worker, { type: 'run', id, input, url: this.options.currentUrl() });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const instance = this.instance;
    this.instance = null;
    if (instance) {
      this.endRuns(instance.worker, new UserError('The server is shutting down.', { status: 503 }));
      await instance.worker.terminate().catch(() => {});
    }
  }

  private ensure(): Promise<Instance> {
    if (!this.instance || this.instance.ended) this.instance = this.spawn();
    const instance = this.instance;
    return instance.ready.then(() => instance);
  }

  private spawn(): Instance {
    const { file, workerData } = workerEntry();
    const worker = new Worker(file, {
      workerData: { ...workerData, setup: this.options.setup },
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb },
      // The worker's own stdout/stderr go to the process's, as before (MikroORM warnings, RELSCOPE_DEBUG lines).
      stdout: false,
      stderr: false,
    });
    this.started++;
    // A worker never keeps the process alive by itself: the server's listening socket does, and a CLI ends when its work is done.
    worker.unref();
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => { markReady = resolve; failReady = reject; });
    ready.catch(() => {});
    const instance: Instance = { worker, ready };
    let wasReady = false;
    const end = (error: Error) => {
      if (instance.ended) return;
      instance.ended = error;
      if (this.instance === instance) this.instance = null;
      failReady(error);
      this.endRuns(worker, error);
      // A worker that had started (and crashed or ran out of memory) is replaced at once, so the next
      // Run does not wait for entity discovery; one that failed to start is retried only by the next Run.
      if (wasReady) this.warm();
    };
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        wasReady = true;
        markReady();
      }
      else if (message.type === 'init-failed') {
        // The main thread loaded the same model, so this is the worker's own trouble: a server error, not the request's.
        end(new UserError(`The lab worker could not load the model: ${deserializeError(message.error).message} Comparisons need it; restart relscope.`, { status: 503, exitCode: 1 }));
        void worker.terminate();
      } else this.onMessage(worker, message);
    });
    worker.on('error', (error: Error & { code?: string }) => end(this.crashError(error)));
    worker.on('exit', (code) => end(this.crashError(new Error(`it exited with code ${code}`))));
    return instance;
  }

  private crashError(error: Error & { code?: string }): Error {
    if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new UserError(
        `The comparison stopped at the lab's memory budget of ${this.options.memoryMb.toLocaleString('en-US')} MB (its worker ran out of heap; the server is unaffected): lower limit (--limit), populate fewer paths, or raise the budget (relscope serve --lab-memory MB, or RELSCOPE_LAB_MEMORY_MB).`,
        { status: 503, exitCode: 1 },
      );
    }
    return new Error(`The lab worker stopped (${errorMessage(error)}); this comparison ended, the next one starts a new worker.`);
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    if (message.type === 'embedded') {
      void this.embeddedRequest(worker, message.requestId, message.op);
      return;
    }
    if (!('id' in message)) return;
    const run = this.runs.get(message.id);
    if (!run || run.worker !== worker) return;
    switch (message.type) {
      case 'event':
        run.options.onEvent?.(JSON.parse(message.json) as CompareEvent);
        break;
      case 'progress':
        run.options.onProgress?.(message.message);
        break;
      case 'abort-seen':
        run.abortSeen = true;
        break;
      case 'done':
        this.runs.delete(message.id);
        run.resolve(JSON.parse(message.json) as CompareReport);
        break;
      case 'failed':
        this.runs.delete(message.id);
        run.reject(deserializeError(message.error));
        break;
    }
  }

  private async embeddedRequest(worker: Worker, requestId: number, op: 'kill' | 'start'): Promise<void> {
    const embedded = this.options.embedded;
    try {
      if (!embedded) throw new Error('no embedded database in this context');
      if (op === 'kill') {
        await embedded.kill();
        this.post(worker, { type: 'embedded-done', requestId });
      } else {
        this.post(worker, { type: 'embedded-done', requestId, info: await embedded.start() });
      }
    } catch (error) {
      this.post(worker, { type: 'embedded-done', requestId, error: errorMessage(error) });
    }
  }

  /** Terminates a worker: `error` ends the run that asked (cancel), the others on it end as interrupted. */
  private stop(worker: Worker, error: Error, id: number): void {
    const run = this.runs.get(id);
    if (run) {
      this.runs.delete(id);
      run.reject(error);
    }
    if (this.instance?.worker === worker) {
      this.instance.ended = error;
      this.instance = null;
    }
    this.endRuns(worker, new UserError('This comparison was interrupted: the lab worker was restarted to stop another comparison that did not answer its cancel. Run it again.', { status: 503 }));
    void worker.terminate();
    this.warm(); // the replacement starts now, not on the next Run
  }

  private endRuns(worker: Worker, error: Error): void {
    for (const [id, run] of this.runs) {
      if (run.worker !== worker) continue;
      this.runs.delete(id);
      run.reject(error);
    }
  }

  private post(worker: Worker, message: ToWorker): void {
    try {
      worker.postMessage(message);
    } catch {
      // a terminated worker: its runs are ended by its exit
    }
  }
}
