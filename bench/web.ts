/**
 * The web page's figures, measured in headless Chromium against the real server on the
 * embedded database:
 *   - navigation → drawn diagram for the demo model (cold: fresh browser profile; warm: reload);
 *   - generated schemas of 100, 300 and 1,000 tables: navigation → usable page (map or
 *     diagram), then a click on a table → its focus diagram drawn;
 *   - a 4-strategy comparison: data in → report rendered, and → every plan expanded;
 *   - the built page's JavaScript, gzipped: what loads first, and what a diagram adds.
 *
 * Run: npx tsx bench/web.ts [--runs 5] [--sizes 100,300,1000] [--no-compare] [--out FILE]
 * (writes bench/results/web.md)
 *
 * Or only the large-schema figures (issue 16: whole schema and a 3-hop focus on 1,000 tables,
 * long tasks, first picture, pan/zoom frame times; bench/web-large.ts):
 *   npx tsx bench/web.ts --only large [--runs 3] [--sizes 1000]   (writes bench/results/web-large.md)
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve, type ServerType } from '@hono/node-server';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { createContext, prepareDemo, type AppContext } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import { ensureWebBuilt, webRoot } from '../server/build-web.ts';
import { chromiumArgs, requireChromium } from '../server/render/image.ts';
import type { CompareReport } from '../common/lab-types.ts';
import { generatedSchemaSql } from './web.schema.ts';
import { measureLarge, type GestureCpu, type LargeFigures } from './web-large.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, sizes: { type: 'string', default: '100,300,1000' }, out: { type: 'string' }, 'no-compare': { type: 'boolean', default: false }, only: { type: 'string' } } });
if (args.only !== undefined && args.only !== 'large') throw new Error(`--only ${args.only}: the only part that runs alone is "large".`);
args.out ??= args.only === 'large' ? 'bench/results/web-large.md' : 'bench/results/web.md';
const runs = Number(args.runs);
const sizes = args.sizes!.split(',').map(Number).filter((n) => n > 0);

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const spread = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const log = (line: string) => console.log(`bench/web: ${line}`);

interface Served {
  ctx: AppContext;
  base: string;
  stop(): Promise<void>;
}

async function startServer(embedded: EmbeddedPostgres, url: string, version: string): Promise<Served> {
  const ctx = await createContext({ target: { kind: 'embedded', url, display: `embedded PG ${version}`, close: async () => {} } });
  const app = createApp(ctx, { webRoot });
  const server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  return {
    ctx,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      await new Promise<void>((done) => server.close(() => done()));
      await ctx.close();
      await embedded.stop();
    },
  };
}

async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** ms from navigation start to the diagram view's ready state, read in the page. */
async function readyAt(page: Page, timeout = 180_000): Promise<number> {
  await page.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"]', { timeout, state: 'attached' });
  const state = await page.getAttribute('.view-inner', 'data-state');
  if (state !== 'ready') throw new Error(`the diagram view ended in state ${state}: ${await page.textContent('.canvas')}`);
  return page.evaluate(() => (window as unknown as { __relscope: { readyAt: number } }).__relscope.readyAt);
}

// ---- Generated schemas ------------------------------------------------------------------

async function generatedDatabase(count: number): Promise<{ served: Served; dir: string; createMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), `relscope-bench-web-${count}-`));
  const embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
  const info = await embedded.start();
  const t0 = performance.now();
  const client = new pg.Client(info.url);
  await client.connect();
  await client.query(generatedSchemaSql(count));
  await client.query('analyze');
  await client.end();
  const createMs = performance.now() - t0;
  return { served: await startServer(embedded, info.url, info.version), dir, createMs };
}

// ---- Measurements ------------------------------------------------------------------------

interface DiagramFigures {
  cold: number[];
  warm: number[];
  coldParts: { layoutWorkerMs: number; firstPictureMs: number }[];
  assets: Map<string, number>;
}

async function demoDiagram(browser: Browser, base: string): Promise<DiagramFigures> {
  const cold: number[] = [];
  const warm: number[] = [];
  const coldParts: { layoutWorkerMs: number; firstPictureMs: number }[] = [];
  const assets = new Map<string, number>();
  // One unmeasured load first: the server's own first requests (ORM start, catalog reads) are not the page's.
  {
    const page = await freshPage(browser);
    await page.goto(`${base}/diagram`);
    await readyAt(page);
    await page.context().close();
  }
  for (let i = 0; i < runs; i++) {
    const page = await freshPage(browser);
    if (i === 0) page.on('response', (r) => { if (r.url().includes('/assets/')) assets.set(new URL(r.url()).pathname, 1); });
    await page.goto(`${base}/diagram`);
    cold.push(await readyAt(page));
    coldParts.push(await page.evaluate(() => {
      const r = (window as unknown as { __relscope: Record<string, number> }).__relscope;
      return { layoutWorkerMs: r.layoutWorkerMs!, firstPictureMs: r.firstPictureMs! };
    }));
    // Same browser profile, reload: the drawn picture comes from the page's cache.
    await page.reload();
    warm.push(await readyAt(page));
    await page.context().close();
  }
  return { cold, warm, coldParts, assets };
}

interface SizeFigures {
  size: number;
  createMs: number;
  usable: number[];
  shown: string;
  focus: number[];
  focusTables: number;
  schemaOverview: { ms: number; tables: number; overview: boolean } | null;
  full: { ms: number; tables: number; overview: boolean; truncated: boolean } | null;
}

async function generated(browser: Browser, size: number): Promise<SizeFigures> {
  log(`creating ${size} tables…`);
  const { served, dir, createMs } = await generatedDatabase(size);
  try {
    const usable: number[] = [];
    const focus: number[] = [];
    let shown = '';
    let focusTables = 0;
    {
      const page = await freshPage(browser);
      await page.goto(`${served.base}/diagram?source=db`);
      await readyAt(page);
      await page.context().close();
    }
    for (let i = 0; i < runs; i++) {
      const page = await freshPage(browser);
      await page.goto(`${served.base}/diagram?source=db`);
      usable.push(await readyAt(page));
      const map = await page.$('[data-testid="schema-map"]');
      shown = map ? `map of ${await page.$$eval('.map-table', (n) => n.length)} tables` : `diagram of ${await page.$$eval('g.rs-table', (n) => n.length)} tables`;
      // Open a table in focus mode, as a person would from the map.
      const pick = map ? '.map-table[data-table$="t0050"]' : 'g.rs-table[data-table$="t0050"]';
      const t0 = await page.evaluate(() => {
        (window as unknown as { __relscope: { readyAt: number } }).__relscope.readyAt = 0;
        return performance.now();
      });
      await page.click(pick);
      if (!map) await page.click('[data-testid="focus-table"]');
      await page.waitForFunction(() => new URL(location.href).searchParams.has('focus') && (window as unknown as { __relscope: { readyAt: number } }).__relscope.readyAt > 0, undefined, { timeout: 120_000 });
      focus.push((await page.evaluate(() => (window as unknown as { __relscope: { readyAt: number } }).__relscope.readyAt)) - t0);
      focusTables = await page.$$eval('g.rs-table', (n) => n.length);
      await page.context().close();
    }
    // One schema drawn on request (names only when it is large), and "draw everything anyway", once each.
    let schemaOverview: SizeFigures['schemaOverview'] = null;
    if (size > 100) {
      const page = await freshPage(browser);
      await page.goto(`${served.base}/diagram?source=db&schema=sales`);
      const ms = await readyAt(page);
      const r = await page.evaluate(() => (window as unknown as { __relscope: Record<string, unknown> }).__relscope);
      schemaOverview = { ms, tables: r.diagramTables as number, overview: await page.$$eval('.canvas-status .badge', (b) => b.some((x) => x.textContent === 'overview')) };
      await page.context().close();
    }
    let full: SizeFigures['full'] = null;
    {
      const page = await freshPage(browser);
      await page.goto(`${served.base}/diagram?source=db&full=1`);
      const ms = await readyAt(page, 600_000);
      const badges = await page.$$eval('.canvas-status .badge', (b) => b.map((x) => x.textContent));
      full = { ms, tables: await page.$$eval('g.rs-table', (n) => n.length), overview: badges.includes('overview'), truncated: badges.some((b) => b?.startsWith('partial')) };
      await page.context().close();
    }
    return { size, createMs, usable, shown, focus, focusTables, schemaOverview, full };
  } finally {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CompareFigures {
  apiMs: number;
  render: number[];
  withPlans: number[];
  plans: number;
  planNodes: number;
  strategies: string[];
}

async function comparison(browser: Browser, base: string): Promise<CompareFigures> {
  const body = { entity: 'User', populate: ['posts.comments'], strategies: ['select', 'select-in', 'joined', 'balanced'], repeat: 3, sweep: [1, 10, 100] };
  log('running a 4-strategy comparison through the API…');
  const t0 = performance.now();
  const response = await fetch(`${base}/api/compare`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  const apiMs = performance.now() - t0;
  if (!response.ok) throw new Error(`compare failed: ${text}`);
  const report = JSON.parse(text) as CompareReport;
  const render: number[] = [];
  const withPlans: number[] = [];
  let plans = 0;
  let planNodes = 0;
  for (let i = 0; i < runs; i++) {
    const page = await freshPage(browser);
    // The data arrives at once: what is measured is the page's own work.
    await page.route('**/api/compare', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: text }));
    await page.goto(`${base}/compare?root=User&populate=posts.comments&strategies=select,select-in,joined,balanced&repeat=3&run=1`);
    await page.waitForSelector('[data-testid="compare-report"]');
    render.push(await page.evaluate(() => (window as unknown as { __relscope: { compareRenderMs: number } }).__relscope.compareRenderMs));
    // Then every plan of every strategy, opened one tab after the other, laid out.
    const r = await page.evaluate(async (names) => {
      const start = performance.now();
      let count = 0;
      let nodes = 0;
      for (const s of names) {
        (document.querySelector(`[data-testid="statements-tab-${s}"]`) as HTMLButtonElement).click();
        (document.querySelector('[data-testid="expand-all-plans"]') as HTMLButtonElement).click();
        count += document.querySelectorAll('#statements-panel .plan-grid').length;
        nodes += document.querySelectorAll('#statements-panel .plan-row[data-node]').length;
        void document.body.offsetHeight;
      }
      return { ms: performance.now() - start, count, nodes };
    }, report.strategies.map((s) => s.strategy));
    const renderMs = render[render.length - 1]!;
    withPlans.push(renderMs + r.ms);
    plans = r.count;
    planNodes = r.nodes;
    await page.context().close();
  }
  return { apiMs, render, withPlans, plans, planNodes, strategies: report.strategies.map((s) => `${s.strategy} ${s.roundTrips}`) };
}

function bundle(loadedForDiagram: Map<string, number>): { initial: number; initialFiles: string[]; diagram: number; total: number; css: number } {
  const assets = join(webRoot, 'assets');
  const gz = (file: string) => gzipSync(readFileSync(join(assets, file)), { level: 9 }).length;
  const html = readFileSync(join(webRoot, 'index.html'), 'utf8');
  const initialFiles = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
  const initial = initialFiles.filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0);
  const css = initialFiles.filter((f) => f.endsWith('.css')).reduce((n, f) => n + gz(f), 0);
  const diagramFiles = [...loadedForDiagram.keys()].map((p) => p.replace('/assets/', '')).filter((f) => f.endsWith('.js') && !initialFiles.includes(f));
  const diagram = diagramFiles.reduce((n, f) => n + gz(f), 0);
  const total = readdirSync(assets).filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0);
  return { initial, initialFiles, diagram, total, css };
}

// ---- Main ----------------------------------------------------------------------------------

const startedLoad = loadavg()[0]!;
const built = await ensureWebBuilt({ quiet: true });
if (args.only === 'large') {
  const browser = await chromium.launch({ executablePath: requireChromium(), args: chromiumArgs, headless: true });
  const results: LargeFigures[] = [];
  try {
    for (const size of args.sizes === '100,300,1000' ? [1000] : sizes) {
      log(`creating ${size} tables…`);
      const { served, dir } = await generatedDatabase(size);
      try {
        results.push(await measureLarge(browser, served.base, size, runs, log));
      } finally {
        await served.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  const endLoad = loadavg()[0]!;
  const pct = (xs: number[], p: number) => { const s2 = [...xs].sort((a, b) => a - b); return s2[Math.min(s2.length - 1, Math.floor(p * s2.length))]!; };
  const cpu = (xs: GestureCpu[]) => `raster ${fmt(median(xs.map((c) => c.raster)))}, page main thread ${fmt(median(xs.map((c) => c.main)))}, compositing ${fmt(median(xs.map((c) => c.display)))} (medians of ${xs.length}; thread CPU time from a Chromium trace)`;
  const fps = (xs: number[]) => `${(1000 / median(xs)).toFixed(0)} fps median (frame p50 ${median(xs).toFixed(1)} ms, p95 ${pct(xs, 0.95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms, ${xs.length} frames)`;
  const out = [
    '# Large schema in the page',
    '',
    `Measured by \`npx tsx bench/web.ts --only large --runs ${runs}\` on ${new Date().toISOString().slice(0, 10)}: ${availableParallelism()} cores, Node ${process.version}, Chromium headless at 1280×800, the real server on the embedded database (PGlite). Load average ${startedLoad.toFixed(1)} at the start and ${endLoad.toFixed(1)} at the end (other work on the machine inflates every figure, long tasks most: they are wall time). Medians (min–max) of ${runs} runs, the two drawings alternating within each run; times from the click, on the page's own clock.`,
    '',
    ...results.flatMap((r) => [
      `## ${r.size.toLocaleString('en-US')} tables`,
      '',
      '| | tables drawn | first useful picture | every table drawn | longest task | long tasks (> 50 ms) |',
      '|---|---|---|---|---|---|',
      `| "Draw all" from the map | ${r.all.tables} | ${spread(r.all.firstPicture)} | ${spread(r.all.ready)} | ${spread(r.all.longest)} | ${median(r.all.longTasks)} (${Math.min(...r.all.longTasks)}–${Math.max(...r.all.longTasks)}) |`,
      `| Focus ${r.focus.table}, 3 hops | ${r.focus.tables} | ${spread(r.focus.firstPicture)} | ${spread(r.focus.ready)} | ${spread(r.focus.longest)} | ${median(r.focus.longTasks)} (${Math.min(...r.focus.longTasks)}–${Math.max(...r.focus.longTasks)}) |`,
      '',
      `Pan and zoom on the ${r.size}-table picture (requestAnimationFrame intervals, all runs; a zoom's frames include its settle, 400 ms; wheel steps as fast as Playwright delivers them, about one per frame):`,
      '',
      '| | frames |',
      '|---|---|',
      `| idle page (the floor) | ${fps(r.frames.idle)} |`,
      `| dragging | ${fps(r.frames.pan)} |`,
      `| wheel zoom from the fitted picture, in and out (level of detail) | ${fps(r.frames.zoom)}; CPU per gesture ${cpu(r.frames.zoomCpu)} |`,
      `| the same, level of detail overridden (every scale paints text and line ends: as before; alternating with the row above) | ${fps(r.frames.zoomAllDetail)}; CPU per gesture ${cpu(r.frames.zoomAllDetailCpu)} |`,
      `| wheel zoom out from 45% (names drawn) to the whole picture (level of detail) | ${fps(r.frames.zoomOut)}; CPU per gesture ${cpu(r.frames.zoomOutCpu)} |`,
      `| the same, level of detail overridden | ${fps(r.frames.zoomOutAllDetail)}; CPU per gesture ${cpu(r.frames.zoomOutAllDetailCpu)} |`,
      `| wheel zoom from 100% to 160% and back (names painted) | ${fps(r.frames.zoomNear)} |`,
      '',
      'Goals: first useful picture ≤ 3 s, longest task ≤ 200 ms, pan/zoom at 60 fps.',
      '',
    ]),
  ];
  mkdirSync(resolve('bench/results'), { recursive: true });
  writeFileSync(resolve(args.out!), `${out.join('\n')}\n`);
  console.log(out.join('\n'));
  process.exit(0);
}
if (built.built) log(`built the page (${built.reason})`);
const browser = await chromium.launch({ executablePath: requireChromium(), args: chromiumArgs, headless: true });
const chromiumVersion = browser.version();
const demoDir = mkdtempSync(join(tmpdir(), 'relscope-bench-web-demo-'));
let demo: DiagramFigures;
let compare: CompareFigures | null;
const big: SizeFigures[] = [];
try {
  const embedded = new EmbeddedPostgres(join(demoDir, 'pgdata'));
  const info = await embedded.start();
  const served = await startServer(embedded, info.url, info.version);
  try {
    await prepareDemo(served.ctx, { scale: 1 });
    log('demo diagram…');
    demo = await demoDiagram(browser, served.base);
    compare = args['no-compare'] ? null : await comparison(browser, served.base);
  } finally {
    await served.stop();
  }
  for (const size of sizes) big.push(await generated(browser, size));
} finally {
  await browser.close();
  rmSync(demoDir, { recursive: true, force: true });
}
const sizesOut = bundle(demo.assets);
const endedLoad = loadavg()[0]!;

const lines = [
  '# Web page figures',
  '',
  `Measured by \`npx tsx bench/web.ts --runs ${runs}\` on ${new Date().toISOString().slice(0, 10)}: ${availableParallelism()} cores, Node ${process.version}, Chromium ${chromiumVersion} headless at 1280×800, the real server (createApp) on the embedded database (PGlite). Load average ${startedLoad.toFixed(1)} at the start and ${endedLoad.toFixed(1)} at the end (other work on the machine inflates every figure). Times are medians (min–max) of ${runs} runs; "from navigation" is the page's own clock (performance.now() at the moment the view is drawn).`,
  '',
  '## Demo model (9 tables)',
  '',
  '| | time |',
  '|---|---|',
  `| navigation → diagram drawn, cold (fresh browser profile) | ${spread(demo.cold)} |`,
  `| of which the layout in the Web Worker | ${spread(demo.coldParts.map((p) => p.layoutWorkerMs))} |`,
  `| view opened → first tables on screen | ${spread(demo.coldParts.map((p) => p.firstPictureMs))} |`,
  `| navigation → diagram drawn, reload (same browser profile) | ${spread(demo.warm)} |`,
  '',
  'Goal: under 1 s.',
  '',
  '## Generated schemas',
  '',
  'Tables with six columns and 1–3 indexed foreign keys each, over one schema (100) or four (300, 1,000); source `db`. "Usable" is navigation → the view ready for input; "focus" is a click on a table in it → that table\'s 1-hop diagram drawn.',
  '',
  '| tables | created in | first view | usable | focus on a table | one schema drawn | "draw everything anyway" |',
  '|---|---|---|---|---|---|---|',
  ...big.map((b) => `| ${b.size.toLocaleString('en-US')} | ${fmt(b.createMs)} | ${b.shown} | ${spread(b.usable)} | ${spread(b.focus)} (${b.focusTables} tables) | ${b.schemaOverview ? `${fmt(b.schemaOverview.ms)} (${b.schemaOverview.tables} tables${b.schemaOverview.overview ? ', names only' : ''})` : '–'} | ${b.full ? `${fmt(b.full.ms)} (${b.full.tables} tables${b.full.overview ? ', names only' : ''}${b.full.truncated ? ', best-connected part' : ''})` : '–'} |`),
  '',
  'Goal: the page usable within 3 s at any size, through overview and focus views. The last column is the frozen-tab case the map avoids; it is measured once.',
  '',
  ...(compare ? [
    '## Comparison (User, populate posts.comments, 4 strategies, 3 runs, sweep 1/10/100)',
    '',
    '| | time |',
    '|---|---|',
    `| the comparison itself (API, embedded database) | ${fmt(compare.apiMs)} |`,
    `| data in → report rendered (table, verdict, advice, sweep charts, first strategy's statements) | ${spread(compare.render)} |`,
    `| data in → report plus every plan of every strategy expanded (${compare.plans} plans, ${compare.planNodes} plan nodes) | ${spread(compare.withPlans)} |`,
    '',
    `Round trips: ${compare.strategies.join(', ')}. Goal: under 500 ms after the data arrives.`,
    '',
  ] : []),
  '## Built page (dist/web), gzipped (level 9)',
  '',
  '| | size |',
  '|---|---|',
  `| JavaScript loaded first (${sizesOut.initialFiles.filter((f) => f.endsWith('.js')).join(', ')}) | ${kb(sizesOut.initial)} |`,
  `| CSS | ${kb(sizesOut.css)} |`,
  `| JavaScript a diagram adds (the layout worker; Mermaid loads only for an export) | ${kb(sizesOut.diagram)} |`,
  `| all JavaScript in dist/web (Mermaid's other diagram types, never loaded by relscope) | ${kb(sizesOut.total)} |`,
  '',
];
mkdirSync(resolve('bench/results'), { recursive: true });
writeFileSync(resolve(args.out!), `${lines.join('\n')}\n`);
log(`wrote ${args.out}`);
console.log(lines.join('\n'));
