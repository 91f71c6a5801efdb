/**
 * The lab worker thread (started by server/lab/lab-worker.ts): a context of its own on the same
 * database, with an ORM made from the same model (the demo entities, or the user's config
 * loaded again here exactly as the CLI loads it), running one comparison per `run` message.
 * Events go back as JSON text, so the stream is byte for byte what an in-process run sends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createContext, type AppContext } from '../context.ts';
import type { DatabaseTarget } from '../db/connect.ts';
import type { EmbeddedStartInfo } from '../db/embedded.ts';
import type { EntityList } from '../orm.ts';
import { compareNow } from './compare.ts';
import type { EmbeddedControl } from './explain.ts';
import { serializeError, type FromWorker, type OrmSource, type ToWorker, type WorkerSetup } from './worker-protocol.ts';

const port = parentPort!;
const setup = (workerData as { setup: WorkerSetup }).setup;
const post = (message: FromWorker) => port.postMessage(message);

let url = setup.database.url;
const target: DatabaseTarget = {
  kind: setup.database.kind,
  // Follows the main thread's embedded database: each run brings its current address, and so does a restart.
  get url() {
    return url;
  },
  display: setup.database.display,
  ...(setup.database.label ? { label: setup.database.label } : {}),
  ...(setup.database.urlOrigin ? { urlOrigin: setup.database.urlOrigin } : {}),
  close: async () => {},
};

// ---- The embedded database's process is the main thread's: the watchdog asks it ----------------

let nextRequest = 1;
const pendingRequests = new Map<number, { resolve: (info?: EmbeddedStartInfo) => void; reject: (error: Error) => void }>();

function askMain(op: 'kill' | 'start'): Promise<EmbeddedStartInfo | undefined> {
  const requestId = nextRequest++;
  return new Promise((resolve, reject) => {
    pendingRequests.set(requestId, { resolve, reject });
    post({ type: 'embedded', requestId, op });
  });
}

const embedded: EmbeddedControl | undefined = setup.database.embedded
  ? {
      kill: async () => {
        await askMain('kill');
      },
      start: async () => {
        const info = await askMain('start');
        if (!info) throw new Error('the embedded database did not report its address after the restart');
        url = info.url;
        return info;
      },
    }
  : undefined;

// ---- The model -------------------------------------------------------------------------------------

async function contextFor(source: OrmSource): Promise<AppContext> {
  const projectLabel = setup.projectLabel;
  if (source.model === 'demo') return createContext({ target, projectLabel });
  if (source.model === 'module') {
    const mod = (await import(source.moduleUrl)) as Record<string, unknown>;
    const entities = source.exportNames.map((name) => {
      if (!(name in mod)) throw new Error(`${source.moduleUrl} has no export ${name}`);
      return mod[name];
    }) as EntityList;
    return createContext({ target, entities, projectLabel });
  }
  const { loadProject } = await import('../project/load.ts');
  const project = await loadProject({ path: source.configPath, via: source.via }, source.cwd, source.contextName);
  return createContext({ target, project, projectLabel });
}

// ---- Runs ------------------------------------------------------------------------------------------

const running = new Map<number, AbortController>();

async function main(): Promise<void> {
  let ctx: AppContext;
  try {
    ctx = await contextFor(setup.source);
  } catch (error) {
    post({ type: 'init-failed', error: serializeError(error) });
    return;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'embedded-done') {
      const pending = pendingRequests.get(message.requestId);
      pendingRequests.delete(message.requestId);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.info);
    } else if (message.type === 'abort') {
      // Answered at once: the main thread then knows this thread's event loop is free and waits for the stop.
      post({ type: 'abort-seen', id: message.id });
      running.get(message.id)?.abort();
    } else if (message.type === 'run') {
      url = message.url;
      const controller = new AbortController();
      running.set(message.id, controller);
      const { id } = message;
      compareNow(ctx, message.input, {
        signal: controller.signal,
        ...(embedded ? { embedded } : {}),
        onEvent: (event) => post({ type: 'event', id, json: JSON.stringify(event) }),
        onProgress: (line) => post({ type: 'progress', id, message: line }),
      })
        .then((report) => post({ type: 'done', id, json: JSON.stringify(report) }))
        .catch((error: unknown) => post({ type: 'failed', id, error: serializeError(error) }))
        .finally(() => running.delete(id));
    }
  });
  post({ type: 'ready' });
  // Entity discovery and the first connection now, not on the first Run (a failure here is retried by that run).
  void ctx.orm().catch(() => {});
}

void main();
