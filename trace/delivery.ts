/**
 * Sends finished scopes to `relscope serve`, off the app's path:
 * - scopes wait in a bounded buffer; over the bound the oldest is dropped and counted (the
 *   count travels with the next batch and the Requests view shows it);
 * - one POST at a time, at most four a second, started from a timer (never from the app's
 *   request), with a timeout;
 *   while the server is away (refused, slow, answering errors) sending backs off up to 5 s;
 * - nothing is ever awaited by the app, and a failure is never thrown into it.
 *
 * Where: `options.url`, else RELSCOPE_URL, else http://127.0.0.1:5177. Only a URL given in
 * code (`options.url`) may name a host other than loopback: RELSCOPE_URL and the default must
 * be loopback, so that an inherited environment variable cannot ship an app's SQL elsewhere.
 */
import type { TraceBatch, TraceScope } from '../common/trace-types.ts';

export const defaultUrl = 'http://127.0.0.1:5177';
/**
 * Least time between two POSTs: each one costs the app ~0.5 ms of its own thread (JSON, fetch,
 * socket writes), so scopes are sent in batches a few times a second rather than one request at a time.
 */
const sendGapMs = 250;

export interface DeliveryOptions {
  /** Base URL of relscope serve; any host is allowed here (explicit). */
  url?: string;
  /** Scopes kept while the server is away; older ones are dropped. Default 200. */
  bufferSize?: number;
  /** Per-POST timeout. Default 2000 ms. */
  timeoutMs?: number;
  /** Name of the app, shown in the page. */
  app?: string;
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackUrl(url: URL): boolean {
  return loopback.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** The ingest URL, or an error saying why nothing will be sent. */
export function resolveTarget(explicit: string | undefined, env: string | undefined): { url: URL } | { error: string } {
  const raw = explicit ?? env ?? defaultUrl;
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    return { error: `relscope/trace: ${explicit ? 'options.url' : 'RELSCOPE_URL'} "${raw}" is not a URL; nothing will be sent (use e.g. http://127.0.0.1:5177).` };
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return { error: `relscope/trace: "${raw}" is not an http(s) URL; nothing will be sent.` };
  if (!explicit && !isLoopbackUrl(base)) {
    return { error: `relscope/trace: RELSCOPE_URL names ${base.host}, which is not loopback; nothing will be sent (pass attach(orm, { url }) in code to send elsewhere on purpose).` };
  }
  return { url: new URL('/api/trace', base) };
}

export class Delivery {
  readonly target: URL | undefined;
  readonly problem: string | undefined;
  private buffer: TraceScope[] = [];
  private droppedTotal = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private backoffMs = 0;
  private stopped = false;
  /** refused: scopes the server answered 4xx for, dropped (and counted in `dropped`). */
  readonly stats = { sent: 0, failed: 0, batches: 0, refused: 0 };
  private warnedRefused = false;
  private readonly bufferSize: number;
  private readonly timeoutMs: number;
  private readonly app: string;

  constructor(options: DeliveryOptions = {}) {
    const target = resolveTarget(options.url, process.env.RELSCOPE_URL);
    if ('error' in target) this.problem = target.error;
    else this.target = target.url;
    this.bufferSize = Math.max(1, options.bufferSize ?? 200);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.app = options.app ?? process.argv[1]?.split(/[\\/]/).pop() ?? 'node';
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  get pending(): number {
    return this.buffer.length;
  }

  enqueue(scope: TraceScope): void {
    if (!this.target || this.stopped) return;
    this.buffer.push(scope);
    while (this.buffer.length > this.bufferSize) {
      this.buffer.shift();
      this.droppedTotal++;
    }
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.inFlight) this.inFlight = this.send().finally(() => { this.inFlight = undefined; });
    }, Math.max(delay, this.backoffMs, sendGapMs));
    this.timer.unref();
  }

  private async send(): Promise<void> {
    if (!this.target || this.buffer.length === 0) return;
    const scopes = this.buffer.splice(0, 50);
    const batch: TraceBatch = { v: 1, source: { pid: process.pid, app: this.app }, dropped: this.droppedTotal, scopes };
    let ok = false;
    let refused: string | undefined;
    try {
      const response = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text().catch(() => '');
      ok = response.ok;
      // A 4xx other than 408/429 is about the batch itself (one the server cannot accept, e.g.
      // from a newer relscope/trace than the running relscope serve): sending it again would be
      // refused again, and as the oldest batch it would hold back every later request forever.
      if (!ok && response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        refused = `${response.status} ${text.slice(0, 300)}`;
      }
    } catch {
      ok = false;
    }
    this.stats.batches++;
    if (ok) {
      this.stats.sent += scopes.length;
      this.backoffMs = 0;
    } else if (refused !== undefined) {
      this.stats.failed++;
      this.stats.refused += scopes.length;
      this.droppedTotal += scopes.length;
      if (!this.warnedRefused) {
        this.warnedRefused = true;
        console.warn(`relscope/trace: ${this.target.origin} refused ${scopes.length === 1 ? 'a request' : `${scopes.length} requests`} (${refused}); they are dropped and counted, later ones are still sent. Are relscope serve and the app's relscope the same version?`);
      }
    } else {
      this.stats.failed++;
      // Put them back in front (newer ones may have arrived); the bound still holds.
      this.buffer.unshift(...scopes);
      while (this.buffer.length > this.bufferSize) {
        this.buffer.shift();
        this.droppedTotal++;
      }
      this.backoffMs = Math.min(5000, this.backoffMs ? this.backoffMs * 2 : 250);
    }
    if (this.buffer.length) this.schedule(0);
  }

  /** Sends what is buffered now (for tests and for shutting down); resolves when done or timed out. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight) await this.inFlight;
    this.backoffMs = 0;
    if (this.buffer.length) {
      this.inFlight = this.send().finally(() => { this.inFlight = undefined; });
      await this.inFlight;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
