/**
 * The page at 390 × 844 (a phone), in real Chromium on the demo database: a header that fits
 * (database and theme toggle on screen), the Schema toolbar wrapped, the status chip clear of
 * the zoom controls, the side panel over the canvas and clear of the toolbar, and the
 * Strategies view in one column. Screenshots go to docs/ (README) and test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { targets, contextFor } from './helpers/targets.ts';
import { docs, shotPath, startWeb, viewSettled, watchErrors, type WebHarness } from './helpers/web.ts';
import type { AppContext } from '../server/context.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
let ctx: AppContext;
let web: WebHarness;
let page: Page;
const errors: string[] = [];

type Box = { x: number; y: number; width: number; height: number };
const box = async (p: Page, selector: string): Promise<Box> => {
  const b = await p.locator(selector).first().boundingBox();
  if (!b) throw new Error(`${selector} is not visible`);
  return b;
};
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, w: number, h: number) => a.x >= 0 && a.y >= 0 && a.x + a.width <= w + 0.5 && a.y + a.height <= h + 0.5;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(docs, name) });
  copyFileSync(join(docs, name), shotPath(name));
}

beforeAll(async () => {
  ctx = await contextFor(target);
  web = await startWeb(ctx);
  const context = await web.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  page = watchErrors(await context.newPage(), errors);
});

afterAll(async () => {
  await web?.close();
  await ctx?.close();
});

describe('the page at 390 × 844 (e2e, Chromium)', () => {
  it('fits the header: views, database and theme toggle on screen, nothing wider than the screen', async () => {
    await page.goto(`${web.base}/diagram`);
    expect(await viewSettled(page)).toBe('ready');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const selector of ['.nav', '.db-pill', '[data-testid="theme-toggle"]']) expect(inside(await box(page, selector), 390, 844), selector).toBe(true);
    // Every toolbar control on screen, the search box full width.
    for (const selector of ['[data-testid="table-search"]', '[data-testid="panel-toggle"]', '[data-testid="drift-button"]', '[data-testid="diagram-export"]']) {
      expect(inside(await box(page, selector), 390, 844), selector).toBe(true);
    }
    expect((await box(page, '[data-testid="table-search"]')).width).toBeGreaterThan(300);
  });

  it('keeps the status chip clear of the zoom controls', async () => {
    expect(overlap(await box(page, '.canvas-status'), await box(page, '.zoom-controls'))).toBe(false);
    expect(await page.$$eval('.canvas svg g.rs-table', (n) => n.length)).toBeGreaterThan(5);
    await shot('mobile-schema.png');
  });

  it('opens the side panel over the canvas, clear of the toolbar, with its own close button', async () => {
    await page.tap('.canvas svg g.rs-table[data-table="public.posts"]');
    await page.waitForSelector('[data-testid="table-details"][data-table="public.posts"]');
    const panel = await box(page, '[data-testid="side-panel"]');
    const toolbar = await box(page, '.toolbar');
    expect(overlap(panel, toolbar)).toBe(false);
    expect(panel.width).toBeGreaterThan(380);
    expect(inside(await box(page, '[data-testid="panel-close"]'), 390, 844)).toBe(true);
    await shot('mobile-table-panel.png');
    await page.tap('[data-testid="panel-close"]');
    await page.waitForSelector('[data-testid="side-panel"]', { state: 'hidden' });
  });

  it('stacks the Strategies view: the form above full-width results', async () => {
    await page.goto(`${web.base}/compare?root=User&populate=posts&strategies=select,joined&repeat=1&run=1`);
    await page.waitForSelector('[data-testid="compare-report"]', { timeout: 240_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const form = await box(page, '.compare-form');
    const results = await box(page, '.compare-results');
    expect(form.y + form.height).toBeLessThanOrEqual(results.y + 1);
    expect(results.width).toBeGreaterThan(370);
    // The results' blocks use the width: no column squeezed to a word per line.
    const narrow = await page.$$eval('.compare-results > * , [data-testid="compare-report"] > *', (els) => els.filter((e) => (e as HTMLElement).offsetWidth > 0 && (e as HTMLElement).offsetWidth < 300).map((e) => e.className));
    expect(narrow).toEqual([]);
    // The picture for the docs: the results' top (the strategy table) under the form.
    await page.$eval('.compare-results', (el) => el.scrollIntoView({ block: 'start' }));
    await shot('mobile-strategies.png');
  });

  it('had no uncaught errors in the page', () => {
    expect(errors).toEqual([]);
  });
});
