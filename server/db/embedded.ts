import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';

const childScript = fileURLToPath(new URL('./embedded-child.mjs', import.meta.url));

export interface EmbeddedStartInfo {
  url: string;
  port: number;
  version: string;
  /** Milliseconds from fork to accepting connections. */
  startMs: number;
  /** True when the data directory did not exist yet (initdb ran). */
  cold: boolean;
}

/**
 * PGlite in a child process, reachable over TCP on a free loopback port.
 * The data directory survives restarts, so a warm start takes well under a second.
 * `kill()` is the watchdog's hammer: PGlite ignores statement_timeout and cancel, so a
 * runaway statement can only be stopped by ending the process; `start()` brings it back.
 */
export class EmbeddedPostgres {
  readonly dataDir: string;
  private child: ChildProcess | null = null;
  private info: EmbeddedStartInfo | null = null;
  private readonly lockFile: string;
  private lastPort = 0;
  /** Set while relscope itself stops or kills the child, so that exit is not a crash. */
  private exitExpected = false;
  private supervised = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
    this.lockFile = `${this.dataDir}.lock`;
  }

  /** Started and accepting connections. */
  get running(): boolean {
    return this.info !== null && this.childAlive;
  }

  private get childAlive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    if (!this.info) throw new Error('embedded database is not started');
    return this.info.url;
  }

  /** The address of the running child, or of the last one while it restarts. */
  get lastUrl(): string | undefined {
    return this.lastPort ? `postgresql://postgres@127.0.0.1:${this.lastPort}/postgres` : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 60_000): Promise<EmbeddedStartInfo> {
    if (this.running && this.info) return this.info;
    if (this.lastPort) {
      // Keep the address stable across restarts; fall back to any port if it was taken meanwhile.
      try {
        return await this.startOn(this.lastPort, timeoutMs);
      } catch {
        return this.startOn(0, timeoutMs);
      }
    }
    return this.startOn(0, timeoutMs);
  }

  private async startOn(port: number, timeoutMs: number): Promise<EmbeddedStartInfo> {
    this.takeLock();
    const cold = !existsSync(join(this.dataDir, 'PG_VERSION'));
    mkdirSync(this.dataDir, { recursive: true });
    const started = performance.now();
    const child = fork(childScript, [], {
      env: { ...process.env, RELSCOPE_PGLITE_DIR: this.dataDir, RELSCOPE_PGLITE_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
    });
    this.child = child;
    // The lock names the child too: a later relscope must not take the directory over while
    // a child of a crashed relscope still has it open.
    if (child.pid) writeFileSync(this.lockFile, `${process.pid} ${child.pid}`);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });

    const ready = await new Promise<{ port: number; version: string }>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new UserError(`The embedded database did not start within ${timeoutMs / 1000} s (data directory ${this.dataDir}). Stop other relscope processes, or move that directory aside to start fresh.`, { exitCode: 1 }));
      }, timeoutMs);
      child.on('message', (message: { type: string; port?: number; version?: string; message?: string }) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolvePromise({ port: message.port!, version: message.version! });
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new UserError(`The embedded database failed to start: ${message.message} (data directory ${this.dataDir}). If it was left damaged by a crash, move it aside and run again.`, { exitCode: 1 }));
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new UserError(`The embedded database exited during start-up (code ${code ?? signal}): ${stderr.trim().split('\n').pop() ?? ''}`, { exitCode: 1 }));
      });
    }).catch((error: unknown) => {
      this.child = null;
      this.releaseLock();
      throw error;
    });

    child.removeAllListeners('exit');
    this.exitExpected = false;
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.info = null;
      this.releaseLock();
      if (!this.exitExpected && this.supervised) {
        console.error(`relscope: the embedded database exited unexpectedly (${signal ?? `code ${code}`}); restarting it.`);
        this.scheduleRestart(500);
      }
    });
    this.lastPort = ready.port;
    this.info = {
      url: this.lastUrl!,
      port: ready.port,
      version: ready.version,
      startMs: performance.now() - started,
      cold,
    };
    return this.info;
  }

  /**
   * Restart the child whenever it dies without relscope asking (a crash, the OOM killer,
   * `kill -9` from a user): the server keeps answering 503 meanwhile and recovers by itself.
   */
  supervise(): void {
    this.supervised = true;
  }

  private scheduleRestart(delayMs: number): void {
    if (this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.supervised || this.running) return;
      this.start().catch((error: unknown) => {
        console.error(`relscope: restarting the embedded database failed: ${(error as Error).message}; retrying in 5 s.`);
        this.scheduleRestart(5000);
      });
    }, delayMs);
    this.restartTimer.unref();
  }

  /** Graceful stop: PGlite closes its data directory, then the process exits. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.supervised = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child || !this.childAlive) return;
    this.exitExpected = true;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** The watchdog's stop: no cleanup, the statement in flight dies with the process. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.childAlive) return;
    this.exitExpected = true;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * One relscope process per data directory: two PGlite instances writing the same files
   * would corrupt them. A lock whose process is gone is stale (a killed run) and is taken over.
   */
  private takeLock(): void {
    mkdirSync(resolve(this.dataDir, '..'), { recursive: true });
    if (existsSync(this.lockFile)) {
      const [holder = 0, child = 0] = readFileSync(this.lockFile, 'utf8').trim().split(/\s+/).map(Number);
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new UserError(`The embedded database in ${this.dataDir} is in use by another relscope process (pid ${holder}). Stop it, or pass --db URL to use a PostgreSQL server.`, { exitCode: 1 });
      }
      if (child && child !== this.child?.pid && servesDirectory(child, this.dataDir)) {
        // Left by a relscope that died: it stops by itself once it notices its parent is gone.
        const deadline = Date.now() + 5000;
        while (servesDirectory(child, this.dataDir) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        if (servesDirectory(child, this.dataDir)) {
          throw new UserError(`The embedded database in ${this.dataDir} is still open by process ${child}, left by a relscope that stopped (pid ${holder}). Stop it (kill ${child}) and run again.`, { exitCode: 1 });
        }
      }
    }
    writeFileSync(this.lockFile, String(process.pid));
  }

  private releaseLock(): void {
    try {
      if (existsSync(this.lockFile) && readFileSync(this.lockFile, 'utf8').trim().split(/\s+/)[0] === String(process.pid)) rmSync(this.lockFile);
    } catch {
      // A lock we cannot remove is taken over next time: it names a dead process.
    }
  }
}

/**
 * Whether `pid` is an embedded-database child serving `dataDir`: read from its environment
 * on Linux (a recycled pid is another program); elsewhere, whether it is alive at all.
 */
function servesDirectory(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ESRCH'; // no /proc (or not ours to read): assume it is
  }
  return environ.split('\0').includes(`RELSCOPE_PGLITE_DIR=${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
