/**
 * The page on a large schema (issue 16, point 1), measured in headless Chromium against the
 * real server: "draw the whole schema" from the map and a 3-hop focus on the table with the
 * largest 3-hop neighbourhood. Per run: click → first useful picture (the first slice of
 * tables on screen, fitted), click → every table drawn, the longest task and the number of
 * long tasks (PerformanceObserver 'longtask') from the click on; then pan and zoom on the
 * drawn picture with frame times from requestAnimationFrame, against the same page's idle
 * frame times measured just before (the floor): wheel zoom from the fitted picture in and out,
 * and out from 45% to the whole picture, each with the level of detail and without it (its
 * CSS overridden), alternately, with their CPU time from a trace of the same gesture repeated;
 * then wheel zoom near 100%.
 *
 * Used by bench/web.ts (`--only large`), which writes the figures to bench/results/web.md.
 */
import type { Browser, Page } from 'playwright-core';
import type { SchemaModel } from '../common/schema-model.ts';
import { adjacency, neighbourhood } from '../web/views/diagram-scope.ts';

export interface DrawFigures {
  firstPicture: number[];
  ready: number[];
  longest: number[];
  longTasks: number[];
  tables: number;
}

export interface FrameFigures {
  idle: number[];
  pan: number[];
  /** Wheel zoom from the fitted picture (about 11%) in and out again, plus the settle after it. */
  zoom: number[];
  /** The same with the level of detail overridden (text and line ends painted at every scale): what it saves. */
  zoomAllDetail: number[];
  /** Wheel zoom from 100% to about 160% and back, where names and columns are painted. */
  zoomNear: number[];
  /** Wheel zoom out from about 45% (settled, names drawn) to the whole picture; with and without the level of detail. */
  zoomOut: number[];
  zoomOutAllDetail: number[];
  /** CPU per zoom gesture, with and without the level of detail. */
  zoomCpu: GestureCpu[];
  zoomAllDetailCpu: GestureCpu[];
  zoomOutCpu: GestureCpu[];
  zoomOutAllDetailCpu: GestureCpu[];
}

export interface LargeFigures {
  size: number;
  all: DrawFigures;
  focus: DrawFigures & { table: string };
  frames: FrameFigures;
}

async function instrumented(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  return page;
}

async function settled(page: Page): Promise<void> {
  await page.waitForSelector('.view-inner[data-state="ready"]', { timeout: 180_000, state: 'attached' });
}

/** Clicks, then waits for `count` tables drawn; returns the page-clock figures. */
async function drawAfter(page: Page, click: () => Promise<void>, count: number): Promise<{ first: number; ready: number; longest: number; longTasks: number }> {
  const t0 = await page.evaluate(() => {
    const r = (window as unknown as { __relscope: Record<string, number> }).__relscope;
    r.firstPictureAt = 0;
    r.readyAt = 0;
    return performance.now();
  });
  await click();
  await page.waitForFunction((n) => document.querySelectorAll('.canvas svg g.rs-table').length === n && document.querySelector('.view-inner')?.getAttribute('data-state') === 'ready', count, { timeout: 180_000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate((since) => {
    const w = window as unknown as { __relscope: Record<string, number>; __longTasks: { start: number; duration: number }[] };
    const tasks = w.__longTasks.filter((x) => x.start + x.duration >= since).map((x) => x.duration);
    return { first: w.__relscope.firstPictureAt! - since, ready: w.__relscope.readyAt! - since, longest: Math.max(0, ...tasks), longTasks: tasks.length };
  }, t0);
}

/** Frame intervals (ms) while `act` runs, from requestAnimationFrame in the page. */
async function frames(page: Page, act: () => Promise<void>): Promise<number[]> {
  // A string, not a function: tsx's esbuild would wrap the named callback in a __name helper the page lacks.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__framesOn = true;
    let last = 0;
    // The previous recorder's last callback may still be pending: it must not start a second chain.
    const gen = (window.__framesGen = (window.__framesGen || 0) + 1);
    const tick = (t) => { if (gen !== window.__framesGen) return; window.__frames.push(t - last); last = t; if (window.__framesOn) requestAnimationFrame(tick); };
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
  })()`);
  await act();
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framesOn: boolean };
    w.__framesOn = false;
    return w.__frames.slice(1);
  });
}

/** Overrides the far level of detail (web/styles.css, .rs-far): every scale paints everything, as before it existed. */
const allDetail = '.rs-tile.rs-far text { visibility: visible !important; } .rs-tile.rs-far .rs-edge { marker-start: url(#rs-many) !important; marker-end: url(#rs-one) !important; }';

/** CPU time (thread time, ms) a gesture cost: rasterising tiles, the page's main thread, and drawing the frames. */
export interface GestureCpu {
  raster: number;
  main: number;
  display: number;
}

/**
 * Thread CPU time from a Chromium trace: unlike frame times, it hardly changes with the
 * machine's load (a busy machine delays the work, it does not make it bigger), so it shows
 * what a change saves even when other work shares the cores.
 */
export function gestureCpu(trace: Buffer): GestureCpu {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: { name: string; ph: string; pid: number; tid: number; tdur?: number; args?: { name?: string } }[] }).traceEvents;
  const threadNames = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args?.name ?? '']));
  const cpu: GestureCpu = { raster: 0, main: 0, display: 0 };
  for (const e of events) {
    if (e.ph !== 'X' || !e.tdur) continue;
    if (e.name === 'RasterTask') cpu.raster += e.tdur / 1000;
    else if (e.name === 'RunTask' && threadNames.get(`${e.pid}:${e.tid}`) === 'CrRendererMain') cpu.main += e.tdur / 1000;
    else if (e.name === 'Display::DrawAndSwap') cpu.display += e.tdur / 1000;
  }
  return cpu;
}

/** Wheel steps (deltaY each; negative zooms in) at the viewport's centre, as fast as they are delivered. */
async function wheel(page: Page, cx: number, cy: number, deltas: number[]): Promise<void> {
  await page.mouse.move(cx, cy);
  for (const d of deltas) await page.mouse.wheel(0, d);
}

const steps = (n: number, delta: number) => Array.from({ length: n }, () => delta);

/** The frame times of a wheel gesture, its settle included (a quiet 150 ms, then the raster and the level of detail for the new scale). */
async function wheelZoom(page: Page, cx: number, cy: number, deltas: number[]): Promise<number[]> {
  return frames(page, async () => {
    await wheel(page, cx, cy, deltas);
    await page.waitForTimeout(400);
  });
}

/** The CPU time of the same gesture, in a separate pass (a trace recording costs time of its own, so frames are measured without one). */
async function wheelCpu(page: Page, cx: number, cy: number, deltas: number[]): Promise<GestureCpu> {
  const browser = page.context().browser()!;
  await browser.startTracing(undefined, { categories: ['disabled-by-default-devtools.timeline', 'viz'] });
  await wheel(page, cx, cy, deltas);
  await page.waitForTimeout(400);
  return gestureCpu(await browser.stopTracing());
}

async function panAndZoom(page: Page, into: FrameFigures, run: number): Promise<void> {
  const box = (await page.locator('[data-testid="diagram-canvas"]').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  into.idle.push(...await frames(page, () => page.waitForTimeout(1000)));
  into.pan.push(...await frames(page, async () => {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 0; i < 60; i++) await page.mouse.move(cx + Math.sin(i / 6) * 200, cy + Math.cos(i / 6) * 120);
    await page.mouse.up();
  }));
  // With and without the level of detail, alternately (which goes first alternates by run), on
  // the same fitted picture: in and out again in one gesture (about 11% → 42% → 11%), then in
  // to about 45% and settled (names drawn), then out to the whole picture (the worst case: the
  // picture fills with tables whose text is drawn until the scale passes 40%).
  const fitted = await page.textContent('.zoom-label');
  for (const mode of run % 2 ? ['all', 'lod'] : ['lod', 'all']) {
    const style = mode === 'all' ? await page.addStyleTag({ content: allDetail }) : null;
    if (style) await page.waitForTimeout(500);
    const all = mode === 'all';
    const inAndOut = [...steps(15, -60), ...steps(15, 60)];
    (all ? into.zoomAllDetail : into.zoom).push(...await wheelZoom(page, cx, cy, inAndOut));
    (all ? into.zoomAllDetailCpu : into.zoomCpu).push(await wheelCpu(page, cx, cy, inAndOut));
    for (const pass of ['frames', 'cpu']) {
      await wheel(page, cx, cy, steps(16, -60));
      await page.waitForTimeout(1000);
      if (pass === 'frames') (all ? into.zoomOutAllDetail : into.zoomOut).push(...await wheelZoom(page, cx, cy, steps(16, 60)));
      else (all ? into.zoomOutAllDetailCpu : into.zoomOutCpu).push(await wheelCpu(page, cx, cy, steps(16, 60)));
    }
    if (style) await style.evaluate((el) => (el as HTMLElement).remove());
    await page.waitForTimeout(500);
  }
  // Then close up: centred, at 100%, in to about 160% and back.
  while (Number((await page.textContent('.zoom-label'))!.replace('%', '')) < 100) await page.click('[aria-label="Zoom in"]');
  await page.waitForTimeout(500);
  into.zoomNear.push(...await wheelZoom(page, cx, cy, [...steps(8, -40), ...steps(8, 40)]));
  log(`zoom from ${fitted} measured, then near 100%`);
}

let log: (line: string) => void = () => {};

export async function measureLarge(browser: Browser, base: string, size: number, runs: number, logTo: (line: string) => void): Promise<LargeFigures> {
  log = logTo;
  const model = await (await fetch(`${base}/api/schema?source=db`)).json() as SchemaModel;
  const adj = adjacency(model);
  const hub = model.tables.map((t) => ({ id: t.id, n: neighbourhood(adj, t.id, 3).length })).sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : 1))[0]!;
  const all: DrawFigures = { firstPicture: [], ready: [], longest: [], longTasks: [], tables: size };
  const focus: DrawFigures & { table: string } = { firstPicture: [], ready: [], longest: [], longTasks: [], tables: hub.n, table: hub.id };
  const figures: FrameFigures = { idle: [], pan: [], zoom: [], zoomAllDetail: [], zoomNear: [], zoomOut: [], zoomOutAllDetail: [], zoomCpu: [], zoomAllDetailCpu: [], zoomOutCpu: [], zoomOutAllDetailCpu: [] };
  // One unmeasured pass: the server's first catalog read of this database is not the page's.
  {
    const page = await instrumented(browser);
    await page.goto(`${base}/diagram?source=db`);
    await settled(page);
    await page.context().close();
  }
  for (let i = 0; i < runs; i++) {
    log(`large schema: run ${i + 1} of ${runs}`);
    // Alternately: the whole schema, then the 3-hop focus.
    {
      const page = await instrumented(browser);
      await page.goto(`${base}/diagram?source=db`);
      await settled(page);
      const r = await drawAfter(page, () => page.click('[data-testid="draw-all"]'), size);
      all.firstPicture.push(r.first);
      all.ready.push(r.ready);
      all.longest.push(r.longest);
      all.longTasks.push(r.longTasks);
      await panAndZoom(page, figures, i);
      await page.context().close();
    }
    {
      const page = await instrumented(browser);
      await page.goto(`${base}/diagram?source=db&focus=${encodeURIComponent(hub.id)}`);
      await settled(page);
      const r = await drawAfter(page, () => page.selectOption('[data-testid="focus-depth"]', '3').then(() => undefined), hub.n);
      focus.firstPicture.push(r.first);
      focus.ready.push(r.ready);
      focus.longest.push(r.longest);
      focus.longTasks.push(r.longTasks);
      await page.context().close();
    }
  }
  return { size, all, focus, frames: figures };
}
