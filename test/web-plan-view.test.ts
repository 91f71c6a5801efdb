/**
 * The plan view in real Chromium, on plans PostgreSQL produced for a real comparison: the
 * graphical node tree beside the grid (one card per grid row), highlight by time / rows /
 * buffers / cost, the critical path, a click in one marking the same node in the other, the
 * node details, "Copy plan JSON" and the PEV2-compatible text (the EXPLAIN JSON itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { targets, contextFor } from './helpers/targets.ts';
import { docs, shotPath, startWeb, watchErrors, type WebHarness } from './helpers/web.ts';
import type { AppContext } from '../server/context.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
let ctx: AppContext;
let web: WebHarness;
let page: Page;
const errors: string[] = [];
const scope = '[data-testid="statements-joined"]';

beforeAll(async () => {
  ctx = await contextFor(target);
  web = await startWeb(ctx);
  const context = await web.browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.base });
  page = watchErrors(await context.newPage(), errors);
  await page.goto(`${web.base}/compare?root=User&populate=posts.comments&strategies=select,joined&repeat=1&run=1`);
  await page.waitForSelector('[data-testid="compare-report"]', { timeout: 240_000 });
  await page.click('[data-testid="statements-tab-joined"]');
  await page.waitForSelector(scope);
  await page.locator(`${scope} [data-testid="plan-toggle"]`).first().click();
  await page.locator(`${scope} .plan-grid`).first().waitFor();
}, 300_000);

afterAll(async () => {
  await web?.close();
  await ctx?.close();
});

describe('the plan view (e2e, Chromium)', () => {
  it('draws one graph card per grid row, the root on top, with the critical path marked', async () => {
    await page.locator(`${scope} [data-testid="plan-graph-toggle"]`).first().click();
    const graph = page.locator(`${scope} [data-testid="plan-graph"]`).first();
    await graph.waitFor();
    const rows = await page.locator(`${scope} .plan-split .plan-row[data-node]`).evaluateAll((n) => n.map((x) => (x as HTMLElement).dataset.node));
    const cards = await graph.locator('[data-testid="plan-graph-node"]').evaluateAll((n) => n.map((x) => (x as SVGGElement).dataset.node));
    expect(cards.length).toBeGreaterThan(1);
    expect([...cards].sort()).toEqual([...rows].sort());
    const critical = await graph.locator('.pg-node.is-critical').evaluateAll((n) => n.map((x) => (x as SVGGElement).dataset.node));
    expect(critical).toContain('0');
    expect(critical.length).toBeGreaterThan(1);
    // Critical nodes form one chain: one per depth, every edge between them marked.
    expect(await graph.locator('.pg-edge.is-critical').count()).toBe(critical.length - 1);
  });

  it('colours the nodes by the chosen metric', async () => {
    const graph = page.locator(`${scope} [data-testid="plan-graph"]`).first();
    const heats = () => graph.locator('[data-testid="plan-graph-node"]').evaluateAll((n) => n.map((x) => `${x.getAttribute('data-heat')} ${x.querySelector('.pg-metric')?.textContent}`));
    const byTime = await heats();
    expect(byTime.some((h) => h.startsWith('3 ') || h.startsWith('2 '))).toBe(true);
    expect(byTime.join('|')).toMatch(/ms · \d+%/);
    for (const metric of ['rows', 'buffers', 'cost']) {
      await graph.locator(`[data-testid="plan-metric-${metric}"]`).click();
      const now = await heats();
      expect(now.join('|')).toMatch(metric === 'rows' ? /rows · \d+%/ : metric === 'buffers' ? /blocks · \d+%/ : /cost [\d.,]+ · \d+%/);
    }
    await graph.locator('[data-testid="plan-metric-time"]').click();
    expect(await heats()).toEqual(byTime);
  });

  it('marks a clicked node in the grid and shows its details, and the other way round', async () => {
    const graph = page.locator(`${scope} [data-testid="plan-graph"]`).first();
    const last = graph.locator('[data-testid="plan-graph-node"]').last();
    const id = await last.getAttribute('data-node');
    await last.click();
    expect(await page.locator(`${scope} .plan-split .plan-row.is-picked`).first().getAttribute('data-node')).toBe(id);
    const details = await graph.locator('[data-testid="plan-node-details"]').textContent();
    expect(details).toMatch(/Exclusive.*Inclusive.*Rows.*actual \/ .*estimated.*Buffers.*Cost/);
    const row = page.locator(`${scope} .plan-split .plan-row[data-node="0"]`).first();
    await row.click();
    expect(await graph.locator('.pg-node.is-picked').getAttribute('data-node')).toBe('0');
  });

  it('copies the plan JSON and gives it in PEV2-compatible form', async () => {
    await page.locator(`${scope} [data-testid="copy-plan-json"]`).first().click();
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as { Plan: { 'Node Type': string } }[];
    expect(Array.isArray(copied)).toBe(true);
    expect(copied[0]!.Plan['Node Type']).toBeTruthy();
    await page.locator(`${scope} [data-testid="plan-pev2"]`).first().click();
    const text = await page.inputValue('[data-testid="pev2-json"]');
    expect(JSON.parse(text)).toEqual(copied);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="pev2-export"]', { state: 'detached' });
  });

  it('opens the graph beside the grid full size', async () => {
    await page.locator(`${scope} .plan .btn`, { hasText: 'Full size' }).first().click();
    await page.waitForSelector('dialog.plan-dialog[open] [data-testid="plan-graph"]');
    const graph = await page.locator('dialog.plan-dialog [data-testid="plan-graph"]').boundingBox();
    const grid = await page.locator('dialog.plan-dialog .plan-split-grid').boundingBox();
    expect(graph!.x + graph!.width).toBeLessThanOrEqual(grid!.x + 1);
    await page.locator('dialog.plan-dialog [data-testid="plan-graph-node"][data-node="0"]').click();
    // The picture for the docs: SQL folded, no toast left from the copy above.
    await page.click('dialog.plan-dialog .plan-full-sql summary');
    await page.waitForSelector('.toast', { state: 'detached', timeout: 10_000 }).catch(() => {});
    await page.screenshot({ path: join(docs, 'plan-graph.png') });
    copyFileSync(join(docs, 'plan-graph.png'), shotPath('plan-graph.png'));
    await page.keyboard.press('Escape');
  });

  it('had no uncaught errors in the page', () => {
    expect(errors).toEqual([]);
  });
});
