/**
 * A 1,000-table database (4 schemas, about 1,800 foreign keys) in the page, in real Chromium:
 * drawing the whole schema and a 3-hop focus never blocks the main thread for more than
 * 200 ms at a time (its tasks from a Chromium trace, CPU and wall time: withoutLongTasks), says beforehand how many
 * tables it will draw and what that costs, shows progress and can be cancelled. Without a
 * project model, drift is off, and when asked for it is labelled as against the demo model
 * and each finding shows once in a table's panel. Speed figures are in bench/web.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { availableParallelism, loadavg } from 'node:os';
import { docs, mainThreadTasks, shotPath, startWeb, viewSettled, watchErrors, type MainTask, type WebHarness } from './helpers/web.ts';
import { generatedDatabase, type GeneratedDatabase } from './helpers/large-schema.ts';
import type { SchemaModel } from '../common/schema-model.ts';
import { adjacency, neighbourhood } from '../web/views/diagram-scope.ts';

const size = 1000;
let db: GeneratedDatabase;
let web: WebHarness;
let page: Page;
const errors: string[] = [];

async function freshPage(): Promise<Page> {
  const context = await web.browser.newContext({ viewport: { width: 1280, height: 800 } });
  return watchErrors(await context.newPage(), errors);
}

/**
 * The claim: the page never keeps its main thread for more than 200 ms at a time. Each task's
 * CPU time is the work the page did in it and hardly depends on what else the machine runs,
 * so it is held to 200 ms always. Wall time is what a person waits; it equals the CPU time
 * when a core is free, but stretches by however long the scheduler gives the cores to other
 * processes (this test failed at load average 25 on 2 cores). So wall time is held to 200 ms
 * too whenever the load average, at the start and the end of the drawing, is under the
 * number of cores; above that it is printed, not asserted. A task that waits on something
 * of the page's own (not on the CPU) still fails on a machine with a core free.
 */
async function withoutLongTasks(p: Page, what: string, act: () => Promise<void>): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const tasks: MainTask[] = await mainThreadTasks(p, act);
  const load = Math.max(loadBefore, loadavg()[0]!);
  const cores = availableParallelism();
  const longest = { wall: Math.max(0, ...tasks.map((t) => t.wall)), cpu: Math.max(0, ...tasks.map((t) => t.cpu)) };
  console.log(`tasks over 50 ms while drawing ${what} (wall/CPU ms, load average ${load.toFixed(1)} on ${cores} cores): ${JSON.stringify(tasks.map((t) => `${t.wall}/${t.cpu}`))}`);
  expect(longest.cpu, 'the longest task\'s CPU time').toBeLessThanOrEqual(200);
  if (load < cores) expect(longest.wall, 'the longest task\'s wall time (a core was free)').toBeLessThanOrEqual(200);
}

const drawn = (p: Page) => p.$$eval('.canvas svg g.rs-table[data-table]', (n) => n.length);

beforeAll(async () => {
  db = await generatedDatabase(size);
  web = await startWeb(db.ctx);
  page = await freshPage();
}, 600_000);

afterAll(async () => {
  await web?.close();
  await db?.drop();
});

describe(`the page on ${size} tables (e2e, Chromium)`, () => {
  it('opens on the map and says what drawing every table costs', async () => {
    await page.goto(`${web.base}/diagram?source=db`);
    expect(await viewSettled(page)).toBe('ready');
    expect(await page.$$eval('.map-table', (n) => n.length)).toBe(size);
    expect(await page.textContent('[data-testid="draw-all"]')).toMatch(/^Draw all 1000 tables \((under a second|about \d+ s), names only\)$/);
  });

  it('draws all 1,000 tables without a long task over 200 ms', async () => {
    await withoutLongTasks(page, `${size} tables`, async () => {
      await page.click('[data-testid="draw-all"]');
      await page.waitForFunction((n) => document.querySelectorAll('.canvas svg g.rs-table').length === n && document.querySelector('.view-inner')?.getAttribute('data-state') === 'ready', size, { timeout: 120_000 });
    });
    await page.screenshot({ path: shotPath('large-schema-fitted.png') });
    // A closer look for the docs: zoomed in on the middle until names are readable (about 80%).
    while (Number((await page.textContent('.zoom-label'))!.replace('%', '')) < 75) await page.click('[aria-label="Zoom in"]');
    await page.screenshot({ path: join(docs, 'large-schema-all.png') });
    expect(await drawn(page)).toBe(size);
    // Laid out off the main thread, and the lines drawn too.
    expect(await page.evaluate(() => (window as unknown as { __relscope: { layoutWorkerMs: number } }).__relscope.layoutWorkerMs)).toBeGreaterThan(0);
    expect(await page.$$eval('.canvas svg path.rs-edge', (n) => n.length)).toBeGreaterThan(1500);
  });

  it('says how many tables each focus depth draws before it is chosen, then draws 3 hops without a long task over 200 ms', async () => {
    // The table with the largest 3-hop neighbourhood: the hardest focus this schema has.
    const model = await (await fetch(`${web.base}/api/schema?source=db`)).json() as SchemaModel;
    const adj = adjacency(model);
    const hub = model.tables.map((t) => ({ id: t.id, n: neighbourhood(adj, t.id, 3).length })).sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : 1))[0]!.id;
    await page.goto(`${web.base}/diagram?source=db&focus=${encodeURIComponent(hub)}&table=${encodeURIComponent(hub)}`);
    expect(await viewSettled(page)).toBe('ready');
    const options = await page.$$eval('[data-testid="focus-depth"] option', (o) => o.map((x) => x.textContent ?? ''));
    expect(options[0]).toMatch(/^1 hop · \d+ tables$/);
    const three = /^3 hops · (\d+) tables(, (under a second|about \d+ s)(, names only)?)?$/.exec(options[2]!);
    expect(three, options[2]).not.toBeNull();
    const count = Number(three![1]);
    expect(count).toBe(neighbourhood(adj, hub, 3).length);
    expect(count).toBeGreaterThan(60);
    await withoutLongTasks(page, `${count} tables (3 hops around ${hub})`, async () => {
      await page.selectOption('[data-testid="focus-depth"]', '3');
      await page.waitForFunction((n) => document.querySelectorAll('.canvas svg g.rs-table').length === n && document.querySelector('.view-inner')?.getAttribute('data-state') === 'ready', count, { timeout: 120_000 });
    });
    expect(await page.$eval(`g.rs-table[data-table="${hub}"]`, (n) => n.classList.contains('is-focus'))).toBe(true);
    await page.screenshot({ path: join(docs, 'large-schema-focus.png') });
  });

  it('shows progress and cancels a drawing in one click', async () => {
    const slow = await freshPage();
    // A slowed-down CPU, so that the drawing is still under way when Cancel is clicked.
    const cdp = await slow.context().newCDPSession(slow);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 8 });
    await slow.goto(`${web.base}/diagram?source=db&full=1`);
    await slow.waitForSelector('[data-testid="draw-progress"]:not([hidden]) [data-testid="draw-cancel"]', { timeout: 120_000 });
    expect(await slow.textContent('[data-testid="draw-progress"]')).toMatch(/(Laying out|Drawing \d+ of) 1000 tables/);
    await slow.click('[data-testid="draw-cancel"]');
    expect(await viewSettled(slow)).toBe('cancelled');
    expect(await slow.textContent('[data-testid="draw-cancelled"]')).toContain('Drawing cancelled.');
    expect(await slow.isHidden('[data-testid="draw-progress"]')).toBe(true);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    // "Back to the map" leaves the whole-schema drawing.
    await slow.click('text=Back to the map');
    expect(await viewSettled(slow)).toBe('ready');
    expect(await slow.$('[data-testid="schema-map"]')).not.toBeNull();
    await slow.context().close();
  });

  it('has drift off without a project model; asked for, it is labelled as against the demo model, shows each finding once, and turns off in one click', async () => {
    const p = await freshPage();
    await p.goto(`${web.base}/diagram?source=db&table=public.t0004`);
    expect(await viewSettled(p)).toBe('ready');
    await p.waitForFunction(() => document.querySelector('[data-testid="drift-button"]')?.textContent?.includes('Drift off'));
    await p.click('[data-testid="drift-button"]');
    await p.waitForSelector('[data-testid="drift-off"]');
    await p.click('[data-testid="drift-enable"]');
    await p.waitForFunction(() => /Drift vs demo\d+/.test(document.querySelector('[data-testid="drift-button"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    expect(await p.textContent('[data-testid="drift-basis"]')).toContain('demo model');
    // The table's panel: the drift finding "table-not-in-orm" once, not again under lint.
    await p.click('[data-testid="panel-tab-table"]');
    await p.waitForSelector('[data-testid="table-findings"]', { timeout: 60_000 });
    const codes = await p.$$eval('[data-testid="table-findings"] .finding-code', (n) => n.map((x) => x.textContent));
    expect(codes.filter((c) => c === 'table-not-in-orm')).toHaveLength(1);
    expect(new Set(codes).size).toBe(codes.length);
    await p.click('[data-testid="drift-button"]');
    await p.click('[data-testid="drift-dismiss"]');
    await p.waitForFunction(() => document.querySelector('[data-testid="drift-button"]')?.textContent?.includes('Drift off'));
    await p.context().close();
  });

  it('had no uncaught errors in the page', () => {
    expect(errors).toEqual([]);
  });
});

// The docs keep the last screenshots; the test results keep every run's.
afterAll(() => {
  for (const f of ['large-schema-all.png', 'large-schema-focus.png']) {
    try { copyFileSync(join(docs, f), shotPath(f)); } catch { /* not taken */ }
  }
});
