/**
 * Soak (issue 17): a real `relscope serve` on a private embedded database, driven for
 * --minutes N (default 30) with mixed traffic, one request at a time per lane:
 *   - a page lane: GET /api/schema, /api/diagram (db, orm, focus), /api/drift, /api/lint;
 *   - a comparison lane: POST /api/compare (User with posts.comments / profile / teams, EXPLAIN on),
 *     back to back;
 *   - a health probe: GET /api/health every 250 ms, its latency recorded with whether a
 *     comparison was in flight at the time.
 * Every 5 s the RSS of the server and of the embedded database child (read from /proc) is
 * sampled. Writes bench/results/soak.md and prints the same.
 *
 *   npx tsx bench/soak.ts --minutes 3
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, out: { type: 'string' }, 'warm-up': { type: 'string' } } });
const minutes = Number(values.minutes ?? 30);
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
const warmUpMinutes = Number(values['warm-up'] ?? Math.min(1, minutes / 3));
const outFile = values.out ?? 'bench/results/soak.md';

const dir = mkdtempSync(join(tmpdir(), 'relscope-soak-'));
const dataDir = join(dir, 'pgdata');
const server = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'serve', '--port', '0', '--data-dir', dataDir], {
  env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
server.stdout.on('data', (d: Buffer) => { log += d; });
server.stderr.on('data', (d: Buffer) => { log += d; });

function rssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return null;
  }
}

/** The embedded database child serving dataDir (it changes when the database is restarted). */
function childPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`RELSCOPE_PGLITE_DIR=${dataDir}`)) return Number(entry);
    } catch {
      // gone, or not readable
    }
  }
  return undefined;
}

async function waitForUrl(): Promise<string> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const m = /serving (http:\/\/\S+)/.exec(log);
    if (m) return m[1]!;
    if (server.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start:\n${log}`);
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

interface Sample { t: number; server: number | null; child: number | null; childPid?: number }

const pageRequests = [
  '/api/schema?source=db', '/api/schema?source=orm', '/api/diagram?source=db', '/api/diagram?source=orm&collapsePivots=1',
  '/api/diagram?source=db&focus=users&depth=2', '/api/drift', '/api/lint?source=db', '/api/entities',
];
const comparisons = [
  { entity: 'User', populate: ['posts.comments'], limit: 20, repeat: 1 },
  { entity: 'User', populate: ['profile', 'teams'], limit: 50, repeat: 1 },
  { entity: 'Post', populate: ['author', 'comments', 'categories'], limit: 30, repeat: 1 },
];

try {
  const base = await waitForUrl();
  const started = performance.now();
  const elapsedMin = () => (performance.now() - started) / 60_000;
  const end = started + minutes * 60_000;
  const samples: Sample[] = [];
  const health: { ms: number; during: boolean; status: number; t: number }[] = [];
  const counts = new Map<string, { ok: number; failed: number; ms: number[] }>();
  let comparing = 0;
  const count = (kind: string, ok: boolean, ms: number) => {
    const c = counts.get(kind) ?? { ok: 0, failed: 0, ms: [] };
    if (ok) c.ok++;
    else c.failed++;
    c.ms.push(ms);
    counts.set(kind, c);
  };
  const timed = async (kind: string, path: string, init?: RequestInit) => {
    const t0 = performance.now();
    let status = 0;
    try {
      const res = await fetch(base + path, init);
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    const ms = performance.now() - t0;
    count(kind, status === 200, ms);
    return { status, ms };
  };

  const sampler = (async () => {
    while (performance.now() < end) {
      const pid = childPid();
      samples.push({ t: elapsedMin(), server: rssMiB(server.pid), child: rssMiB(pid), childPid: pid });
      await new Promise((r) => setTimeout(r, 5000));
    }
  })();
  const prober = (async () => {
    while (performance.now() < end) {
      const during = comparing > 0;
      const { status, ms } = await timed('health', '/api/health');
      health.push({ ms, during: during || comparing > 0, status, t: elapsedMin() });
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const pages = (async () => {
    let i = 0;
    while (performance.now() < end) {
      const path = pageRequests[i++ % pageRequests.length]!;
      await timed(path.replace(/\?.*/, ''), path);
    }
  })();
  const lab = (async () => {
    let i = 0;
    while (performance.now() < end) {
      const body = comparisons[i++ % comparisons.length]!;
      comparing++;
      try {
        await timed('compare', '/api/compare', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      } finally {
        comparing--;
      }
    }
  })();
  await Promise.all([sampler, prober, pages, lab]);
  samples.push({ t: elapsedMin(), server: rssMiB(server.pid), child: rssMiB(childPid()), childPid: childPid() });

  const after = samples.filter((s) => s.t >= warmUpMinutes);
  const series = (key: 'server' | 'child') => after.map((s) => s[key]).filter((v): v is number => v !== null);
  /** Least-squares slope in MiB per minute over the samples after warm-up. */
  const slope = (key: 'server' | 'child') => {
    const pts = after.filter((s) => s[key] !== null).map((s) => [s.t, s[key]!] as const);
    if (pts.length < 2) return NaN;
    const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
    const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
    const num = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
    const den = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    return num / den;
  };
  const rssLine = (key: 'server' | 'child', label: string) => {
    const all = samples.map((s) => s[key]).filter((v): v is number => v !== null);
    const warm = series(key);
    return `| ${label} | ${all[0]?.toFixed(0) ?? '?'} | ${warm[0]?.toFixed(0) ?? '?'} | ${Math.min(...warm).toFixed(0)} | ${Math.max(...warm).toFixed(0)} | ${all.at(-1)?.toFixed(0) ?? '?'} | ${slope(key).toFixed(2)} |`;
  };
  const during = health.filter((h) => h.during).map((h) => h.ms);
  const idle = health.filter((h) => !h.during).map((h) => h.ms);
  const load = loadavg().map((l) => l.toFixed(2)).join(', ');
  const restarts = new Set(samples.map((s) => s.childPid).filter(Boolean)).size - 1;
  const lines = [
    `# Soak: ${minutes} min of mixed traffic (bench/soak.ts)`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16)}Z, load average at the end ${load} (2 cores shared with other work). Warm-up excluded from the RSS columns after it: ${warmUpMinutes} min. ${samples.length} RSS samples (every 5 s); embedded child restarts seen: ${restarts}.`,
    '',
    '| RSS (MiB) | start | after warm-up | min | max | end | slope after warm-up (MiB/min) |',
    '|---|---|---|---|---|---|---|',
    rssLine('server', 'server (Node, lab worker thread included)'),
    rssLine('child', 'embedded database child (PGlite)'),
    '',
    `| /api/health latency (ms) | n | p50 | p99 | max | non-200 |`,
    '|---|---|---|---|---|---|',
    `| during a comparison | ${during.length} | ${quantile(during, 0.5).toFixed(1)} | ${quantile(during, 0.99).toFixed(1)} | ${Math.max(...during, 0).toFixed(1)} | ${health.filter((h) => h.during && h.status !== 200).length} |`,
    `| otherwise | ${idle.length} | ${quantile(idle, 0.5).toFixed(1)} | ${quantile(idle, 0.99).toFixed(1)} | ${Math.max(...idle, 0).toFixed(1)} | ${health.filter((h) => !h.during && h.status !== 200).length} |`,
    '',
    '| requests | ok | failed | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    ...[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([kind, c]) => `| ${kind} | ${c.ok} | ${c.failed} | ${quantile(c.ms, 0.5).toFixed(0)} | ${quantile(c.ms, 0.99).toFixed(0)} |`),
    '',
    'RSS over time (minute: server / child MiB):',
    '',
    samples.filter((_, i) => i % Math.max(1, Math.round(samples.length / 20)) === 0).map((s) => `${s.t.toFixed(1)}: ${s.server?.toFixed(0) ?? '?'} / ${s.child?.toFixed(0) ?? '?'}`).join(' · '),
    '',
  ];
  writeFileSync(outFile, lines.join('\n'));
  console.log(lines.join('\n'));
} finally {
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
