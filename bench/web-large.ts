/**
 * The page on a large schema (issue 16, point 1), measured in headless Chromium against the
 * real server: "draw the whole schema" from the map and a 3-hop focus on the table with the
 * largest 3-hop neighbourhood. Per run: click → first useful picture (the first slice of
 * tables on screen, fitted), click → every table drawn, the longest task and the number of
 * long tasks (PerformanceObserver 'longtask') from the click on; then pan and zoom on the
 * drawn picture with frame times from requestAnimationFrame, against the same page's idle
 * frame times measured just before (the floor).
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
  zoom: number[];
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
    const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__framesOn) requestAnimationFrame(tick); };
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
  })()`);
  await act();
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framesOn: boolean };
    w.__framesOn = false;
    return w.__frames.slice(1);
  });
}

async function panAndZoom(page: Page, into: FrameFigures): Promise<void> {
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
  into.zoom.push(...await frames(page, async () => {
    await page.mouse.move(cx, cy);
    for (let i = 0; i < 30; i++) await page.mouse.wheel(0, i < 15 ? -60 : 60);
  }));
}

export async function measureLarge(browser: Browser, base: string, size: number, runs: number, log: (line: string) => void): Promise<LargeFigures> {
  const model = await (await fetch(`${base}/api/schema?source=db`)).json() as SchemaModel;
  const adj = adjacency(model);
  const hub = model.tables.map((t) => ({ id: t.id, n: neighbourhood(adj, t.id, 3).length })).sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : 1))[0]!;
  const all: DrawFigures = { firstPicture: [], ready: [], longest: [], longTasks: [], tables: size };
  const focus: DrawFigures & { table: string } = { firstPicture: [], ready: [], longest: [], longTasks: [], tables: hub.n, table: hub.id };
  const figures: FrameFigures = { idle: [], pan: [], zoom: [] };
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
      await panAndZoom(page, figures);
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
