import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createPool, openDatabase, withPooledClient, type DatabaseTarget, type OpenOptions } from './db/connect.ts';
// MikroORM, the project loader and the demo entities are imported where used: loading
// @mikro-orm/postgresql takes seconds, and a db export or --help needs none of it.
import type { EntityList } from './orm.ts';
import type { LoadedProject } from './project/load.ts';
import { ensureDemoSchema, demoTables } from './demo/schema.ts';
import { countRows, seedDemo, type SeedProgress } from './demo/seed.ts';
import { UserError } from './errors.ts';
import { newModelCache, type ModelCache } from './schema/load.ts';
import { LabWorker, defaultLabMemoryMb } from './lab/lab-worker.ts';
import type { OrmSource } from './lab/worker-protocol.ts';

/**
 * What every command and route works from: one database target and one entity list.
 * Nothing here is global; the CLI and the tests each build their own.
 */
export interface AppContext {
  readonly target: DatabaseTarget;
  /** What the user is looking at, e.g. "demo model" or a config path; shown by the page. */
  readonly projectLabel: string;
  /** Whose ORM model this is: a user's project (or entity list), or relscope's built-in demo model. */
  readonly ormModel: 'project' | 'demo';
  /** True on a user's MikroORM project (the demo helpers refuse it, see prepareDemo). */
  readonly userProject: boolean;
  /** The models read through this context (server/schema/load.ts), cached here. */
  readonly models: ModelCache;
  /** MikroORM for the target, created on first use. */
  orm(): Promise<MikroORM>;
  /** A client from the context's small pool; connection failures become DatabaseUnavailableError. */
  withClient<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T>;
  /**
   * The worker thread the lab's comparisons run in (created on first use, started lazily or by
   * its warm()); null when the model cannot be re-created in another thread (an entity list
   * given as objects) or RELSCOPE_LAB_WORKER=0: comparisons then run in this thread.
   */
  labWorker(): LabWorker | null;
  close(): Promise<void>;
}

export interface ContextOptions extends OpenOptions {
  /** Use this already-open database instead of opening one (tests, the watchdog's owner). */
  target?: DatabaseTarget;
  /** The demo model's entities are used unless a user project or another list is given. */
  entities?: EntityList;
  /** A user's MikroORM project (its config decides entities and discovery). */
  project?: LoadedProject;
  /** An ORM already initialised for this target (entity discovery done before connecting). */
  orm?: MikroORM;
  projectLabel?: string;
  /** How the lab worker re-creates this model (default: the demo, or the project's config); null: no worker. */
  ormSource?: OrmSource | null;
  /** The lab worker's heap budget in MB (default: defaultLabMemoryMb()). */
  labMemoryMb?: number;
}

/** How another thread makes the same model: only what can be loaded again from a description. */
function ormSourceOf(options: ContextOptions): OrmSource | null {
  if (options.ormSource !== undefined) return options.ormSource;
  if (process.env.RELSCOPE_LAB_WORKER === '0') return null;
  const project = options.project;
  if (project) return project.found && project.cwd ? { model: 'project', configPath: project.found.path, via: project.found.via, cwd: project.cwd, ...(project.contextName !== undefined ? { contextName: project.contextName } : {}) } : null;
  return options.entities ? null : { model: 'demo' };
}

export async function createContext(options: ContextOptions = {}): Promise<AppContext> {
  const target = options.target ?? (await openDatabase(options));
  const entities = options.entities;
  const project = options.project;
  let ormPromise: Promise<MikroORM> | null = options.orm ? Promise.resolve(options.orm) : null;
  let ormUrl = target.url;
  let pool: pg.Pool | null = null;
  let poolUrl = '';
  const ormSource = ormSourceOf(options);
  let labWorker: LabWorker | null = null;
  const ctx: AppContext = {
    target,
    projectLabel: options.projectLabel ?? project?.label ?? 'demo model',
    ormModel: project || options.entities ? 'project' : 'demo',
    userProject: Boolean(project),
    models: newModelCache(),
    orm() {
      // The embedded database restarted on another port (its old one was taken meanwhile):
      // an ORM of ours still pointing at the old address is replaced (its clientUrl is fixed).
      if (ormPromise && ormUrl !== target.url && !options.orm) {
        const stale = ormPromise;
        ormPromise = null;
        void stale.then((orm) => orm.close(true)).catch(() => {});
      }
      if (!ormPromise) {
        ormUrl = target.url;
        // MikroORM and the project loader are imported only when an ORM is needed (startup time).
        const created: Promise<MikroORM> = (project
          ? import('./project/load.ts').then(({ initProjectOrm }) => initProjectOrm(project, target.url, target.kind === 'embedded' ? 1 : 4))
          : import('./orm.ts').then(async ({ initOrm }) => initOrm(target, entities ?? (await import('../entities/index.ts')).demoEntities))
        ).catch((error: unknown) => {
          if (ormPromise === created) ormPromise = null; // let the next call retry, e.g. once the database is back
          throw error;
        });
        ormPromise = created;
      }
      return ormPromise;
    },
    withClient: (work) => {
      // A target whose address changed (an embedded restart that had to take another port)
      // gets a new pool; the old one drains and closes.
      if (pool && poolUrl !== target.url) void pool.end().catch(() => {});
      if (!pool || poolUrl !== target.url) {
        pool = createPool(target);
        poolUrl = target.url;
      }
      return withPooledClient(pool, target.url, work, target.urlOrigin);
    },
    labWorker() {
      if (!ormSource) return null;
      labWorker ??= new LabWorker({
        setup: {
          source: ormSource,
          database: {
            kind: target.kind, url: target.url, display: target.display, embedded: Boolean(target.embedded),
            ...(target.label ? { label: target.label } : {}), ...(target.urlOrigin ? { urlOrigin: target.urlOrigin } : {}),
          },
          projectLabel: ctx.projectLabel,
        },
        memoryMb: options.labMemoryMb ?? defaultLabMemoryMb(),
        currentUrl: () => target.url,
        ...(target.embedded ? { embedded: target.embedded } : {}),
      });
      return labWorker;
    },
    async close() {
      await labWorker?.close();
      if (ormPromise) await (await ormPromise.catch(() => null))?.close(true);
      await pool?.end().catch(() => {});
      await target.close();
    },
  };
  return ctx;
}

/** True when the context reads a user's MikroORM project (not relscope's built-in demo model). */
export function isProjectContext(ctx: AppContext): boolean {
  return ctx.userProject;
}

export interface PrepareDemoOptions {
  reset?: boolean;
  /** Seed at this scale when the demo tables are empty (or always, with reset). */
  scale?: number;
  progress?: SeedProgress;
}

/** Creates the demo schema when needed and seeds it when empty; returns rows per table. */
export async function prepareDemo(ctx: AppContext, options: PrepareDemoOptions = {}): Promise<{ state: string; rows: Record<string, number>; seeded: boolean }> {
  // With a user's project the ORM is theirs: schema.create()/drop() would act on THEIR tables.
  if (ctx.userProject) {
    throw new UserError(`The demo schema is made with the demo model, not with ${ctx.projectLabel}: run this from a folder without a MikroORM config (relscope never creates or drops tables of your project).`);
  }
  const orm = await ctx.orm();
  return ctx.withClient(async (client) => {
    const state = await ensureDemoSchema(orm, client, { reset: options.reset });
    let rows = await countRows(client, [...demoTables]);
    let seeded = false;
    if (options.scale !== undefined && (options.reset || rows.users === 0)) {
      rows = await seedDemo(client, options.scale, options.progress);
      seeded = true;
    }
    return { state, rows, seeded };
  });
}
