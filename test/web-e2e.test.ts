/**
 * The web page as a person uses it: the real server (createApp over the embedded database)
 * serving the built page, driven in Debian's Chromium through playwright-core. Screenshots
 * of each view land in test-results/ for a reviewer; nothing here asserts a duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serve, type ServerType } from '@hono/node-server';
import { targets, contextFor } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { ensureWebBuilt, webRoot } from '../server/build-web.ts';
import { findChromium, chromiumArgs } from '../server/render/image.ts';
import { demoTables } from '../server/demo/schema.ts';
import type { AppContext } from '../server/context.ts';

const shots = resolve('test-results');
const demoIds = demoTables.map((t) => `public.${t}`).sort();
const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;

let ctx: AppContext;
let server: ServerType;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const inFlight = new Set<{ path: string; since: number }>();

/** waitForSelector that, when it times out, says which server requests were still in flight and for how long. */
async function waitOrExplain(p: Page, selector: string, timeout: number): Promise<void> {
  try {
    await p.waitForSelector(selector, { timeout });
  } catch (error) {
    const now = performance.now();
    const open = [...inFlight].map((r) => `${r.path} (${Math.round(now - r.since)} ms)`).join(', ') || 'none';
    const waiting = [...(browserPending.get(p) ?? [])].map((u) => new URL(u).pathname + new URL(u).search).join(', ') || 'none';
    throw new Error(`${(error as Error).message.split('\n')[0]}; server requests in flight: ${open}; the page's requests not answered: ${waiting}`);
  }
}

async function openContext(colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme, acceptDownloads: true });
  await c.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  return c;
}

/** The browser's requests not yet answered, per page (named in a failure, with the server's). */
const browserPending = new Map<Page, Set<string>>();

function watch(p: Page): Page {
  const pending = new Set<string>();
  browserPending.set(p, pending);
  p.on('request', (r) => pending.add(r.url()));
  p.on('requestfinished', (r) => pending.delete(r.url()));
  p.on('requestfailed', (r) => pending.delete(r.url()));
  p.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  p.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (4|5)\d\d/.test(msg.text())) pageErrors.push(`console: ${msg.text()}`);
  });
  return p;
}

/** Waits for the diagram view to finish (drawn, or an error shown). */
async function diagramReady(p: Page): Promise<void> {
  await p.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"]', { timeout: 60_000, state: 'attached' });
}

async function drawnTables(p: Page): Promise<string[]> {
  return p.$$eval('.canvas svg g.rs-table[data-table]', (nodes) => nodes.map((n) => (n as SVGGElement).dataset.table!).sort());
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, name) });
}

async function download(p: Page, open: () => Promise<void>): Promise<{ name: string; body: Buffer }> {
  const [file] = await Promise.all([p.waitForEvent('download', { timeout: 30_000 }), open()]);
  const path = join(shots, 'e2e-exports', file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), body: readFileSync(path) };
}

async function exportItem(p: Page, menu: string, item: string): Promise<void> {
  await p.click(`[data-testid="${menu}"]`);
  await p.click(`[data-testid="${item}"]`);
}

beforeAll(async () => {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('The end-to-end tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH).');
  mkdirSync(join(shots, 'e2e-exports'), { recursive: true });
  await ensureWebBuilt({ quiet: true });
  ctx = await contextFor(target);
  const app = createApp(ctx, { webRoot });
  // The server's requests in flight, named in a failure (a wait that times out says what the server was doing).
  const tracked = (request: Request) => {
    const entry = { path: new URL(request.url).pathname + new URL(request.url).search, since: performance.now() };
    inFlight.add(entry);
    const done = () => inFlight.delete(entry);
    return Promise.resolve(app.fetch(request)).then((response) => { done(); return response; }, (error: unknown) => { done(); throw error; });
  };
  server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: tracked, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Playwright gives each launch a fresh temporary profile of its own.
  browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  context = await openContext();
  page = watch(await context.newPage());
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  await ctx?.close();
});

describe('web page (e2e, Chromium)', () => {
  it('opens on the ORM diagram with every demo table drawn', async () => {
    await page.goto(`${base}/`);
    await diagramReady(page);
    expect(new URL(page.url()).pathname).toBe('/diagram');
    expect(await drawnTables(page)).toEqual(demoIds);
    // The labels Mermaid drew carry the table names.
    const labels = await page.$$eval('.canvas svg g.rs-table', (nodes) => nodes.map((n) => n.textContent ?? ''));
    for (const table of demoTables) expect(labels.some((l) => l.includes(table))).toBe(true);
    await expect(page.textContent('.db-pill')).resolves.toContain('embedded');
    await shot(page, 'e2e-diagram.png');
  });

  it('opens a table in the side panel with columns, keys, indexes and relations', async () => {
    await page.click('.canvas svg g.rs-table[data-table="public.posts"]');
    await page.waitForSelector('[data-testid="table-details"][data-table="public.posts"]');
    const details = (await page.textContent('[data-testid="table-details"]')) ?? '';
    expect(details).toContain('user_id');
    expect(details).toMatch(/comments/);
    expect(details).toMatch(/owner|inverse/);
    expect(details).toMatch(/on delete cascade/);
    expect(details).toMatch(/Indexes/);
    expect(new URL(page.url()).searchParams.get('table')).toBe('public.posts');
    await shot(page, 'e2e-diagram-table.png');
  });

  it('focuses a table on its neighbourhood and back', async () => {
    await page.click('[data-testid="focus-table"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('focus') === 'public.posts');
    await diagramReady(page);
    await page.waitForSelector('[data-testid="focus-chip"]');
    const focused = await drawnTables(page);
    expect(focused).toContain('public.posts');
    expect(focused).toContain('public.users');
    expect(focused).toContain('public.comments');
    expect(focused).not.toContain('public.teams');
    expect(focused.length).toBeLessThan(demoIds.length);
    await shot(page, 'e2e-diagram-focus.png');
    // Two hops reach further.
    await page.selectOption('[data-testid="focus-depth"]', '2');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('depth') === '2');
    await diagramReady(page);
    expect((await drawnTables(page)).length).toBeGreaterThan(focused.length);
  });

  it('reopens the same view from a copied link', async () => {
    await exportItem(page, 'diagram-export', 'copy-link');
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toContain('focus=public.posts');
    const other = watch(await context.newPage());
    await other.goto(link);
    await diagramReady(other);
    expect(await drawnTables(other)).toEqual(await drawnTables(page));
    await other.waitForSelector('[data-testid="focus-chip"]');
    expect(await other.inputValue('[data-testid="focus-depth"]')).toBe('2');
    await other.waitForSelector('[data-testid="table-details"][data-table="public.posts"]');
    await other.close();
  });

  it('switches to the database source', async () => {
    await page.goto(`${base}/diagram`);
    await diagramReady(page);
    await page.click('label[for="source-db"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('source') === 'db');
    await diagramReady(page);
    expect(await page.isChecked('[data-testid="source-db"]')).toBe(true);
    const tables = await drawnTables(page);
    for (const id of demoIds) expect(tables).toContain(id);
    // The panel reads the catalogs: the index Postgres has on posts.user_id shows.
    await page.click('.canvas svg g.rs-table[data-table="public.posts"]');
    await page.waitForSelector('[data-testid="table-details"][data-table="public.posts"]');
    expect(await page.textContent('[data-testid="table-details"]')).toContain('posts_user_id_index');
    await shot(page, 'e2e-diagram-db.png');
  });

  it('jumps to a table from the search box', async () => {
    await page.fill('[data-testid="table-search"]', 'membersh');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="table-details"][data-table="public.memberships"]');
    expect(await page.$eval('.canvas svg g.rs-table[data-table="public.memberships"]', (n) => n.classList.contains('is-selected'))).toBe(true);
  });

  it('is usable from the keyboard', async () => {
    await page.goto(`${base}/diagram`);
    await diagramReady(page);
    // "/" jumps to the search box; Enter on a match opens the table.
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('table-search');
    await page.keyboard.type('team');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="table-details"][data-table^="public.team"]');
    // Tables in the drawing take focus and open with Enter; Escape closes the panel.
    await page.focus('.canvas svg g.rs-table[data-table="public.comments"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="table-details"][data-table="public.comments"]');
    await page.focus('[data-testid="diagram-canvas"]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="table-details"]', { state: 'hidden' });
    expect(new URL(page.url()).searchParams.get('table')).toBeNull();
    // The export menu opens from the keyboard and its items are focusable.
    await page.focus('[data-testid="diagram-export"]');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('menuitem');
    await page.keyboard.press('Escape');
  });

  it('downloads the SVG export: valid SVG with every table, the same picture as the CLI', async () => {
    await page.goto(`${base}/diagram?source=orm`);
    await diagramReady(page);
    const svg = await download(page, () => exportItem(page, 'diagram-export', 'export-svg'));
    expect(svg.name).toMatch(/\.svg$/);
    const text = svg.body.toString('utf8');
    expect(text.startsWith('<svg')).toBe(true);
    const parsed = await page.evaluate((source) => {
      const doc = new DOMParser().parseFromString(source, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.nodeName, text: doc.documentElement.textContent ?? '' };
    }, text);
    expect(parsed.error).toBeNull();
    expect(parsed.root).toBe('svg');
    for (const table of demoTables) expect(parsed.text).toContain(table);
    // The API's SVG is the CLI's renderer (Mermaid in headless Chromium, the same text and
    // configuration): the same picture, box for box. Bytes differ only in the random wobble of
    // Mermaid's hand-drawn outlines.
    const fromApi = await fetch(`${base}/api/diagram?source=orm&format=svg`);
    expect(fromApi.status).toBe(200);
    const picture = (source: string) => page.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, 'image/svg+xml');
      const root = doc.documentElement;
      return {
        size: ['width', 'height', 'viewBox'].map((a) => root.getAttribute(a)),
        nodes: [...doc.querySelectorAll('g.node')].map((n) => `${n.id} ${n.getAttribute('transform')} ${n.textContent}`),
        edges: [...doc.querySelectorAll('path.relationshipLine')].map((e) => e.getAttribute('data-points')),
      };
    }, source);
    expect(await picture(await fromApi.text())).toEqual(await picture(text));
  });

  it('downloads PNG, Mermaid and Markdown exports', async () => {
    const png = await download(page, () => exportItem(page, 'diagram-export', 'export-png'));
    expect(png.body.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.body.length).toBeGreaterThan(10_000);
    const mmd = await download(page, () => exportItem(page, 'diagram-export', 'export-mermaid'));
    expect(mmd.body.toString('utf8')).toMatch(/^erDiagram/);
    const md = await download(page, () => exportItem(page, 'diagram-export', 'export-markdown'));
    const markdown = md.body.toString('utf8');
    expect(markdown).toContain('```mermaid');
    for (const table of demoTables) expect(markdown).toContain(table);
  });

  it('runs a comparison of User with posts.comments from clicks alone', async () => {
    await page.click('.nav-link[data-view="compare"]');
    await page.waitForSelector('[data-testid="root-entity"]');
    await page.selectOption('[data-testid="root-entity"]', 'User');
    await page.check('input[data-path="posts.comments"]');
    expect(await page.isChecked('input[data-path="posts"]')).toBe(true);
    await page.fill('#limit', '3');
    await page.press('#limit', 'Tab');
    await page.fill('#repeat', '1');
    await page.press('#repeat', 'Tab');
    await page.selectOption('#sweep', '1,10');
    await page.click('[data-testid="run-compare"]');
    await page.waitForSelector('[data-testid="compare-report"], .compare-results .error-box', { timeout: 100_000 });
    expect(await page.$('.compare-results .error-box')).toBeNull();
    const strategies = ['select', 'select-in', 'joined', 'balanced', 'dataloader'];
    const trips: Record<string, number> = {};
    for (const s of strategies) {
      await page.waitForSelector(`[data-testid="strategy-col-${s}"]`);
      trips[s] = Number(await page.getAttribute(`[data-testid="round-trips-${s}"]`, 'data-value'));
      expect(trips[s]).toBeGreaterThan(0);
    }
    expect(trips.select!).toBeGreaterThan(trips['select-in']!);
    expect(trips['select-in']!).toBeGreaterThan(trips.joined!);
    expect(trips.joined).toBe(1);
    expect(await page.textContent('[data-testid="verdict"]')).toMatch(/Fastest/);
    expect(await page.$$('[data-testid="sweep"] svg.chart')).toHaveLength(2);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/compare');
    expect(url.searchParams.get('populate')).toBe('posts.comments');
    expect(url.searchParams.get('run')).toBe('1');
    await shot(page, 'e2e-compare.png');
  });

  it('expands a plan and opens it full size', async () => {
    await page.click('[data-testid="statements-tab-select-in"]');
    await page.waitForSelector('[data-testid="statements-select-in"]');
    const toggle = page.locator('[data-testid="statements-select-in"] [data-testid="plan-toggle"]').first();
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const grid = page.locator('[data-testid="statements-select-in"] .plan-grid').first();
    await grid.waitFor();
    expect(await grid.locator('.plan-row[data-node]').count()).toBeGreaterThan(0);
    expect(await grid.locator('.is-slowest').count()).toBe(1);
    expect(await grid.textContent()).toMatch(/Scan/);
    await grid.scrollIntoViewIfNeeded();
    await shot(page, 'e2e-compare-plan.png');
    await page.locator('[data-testid="statements-select-in"] .plan .btn', { hasText: 'Full size' }).first().click();
    await page.waitForSelector('dialog.plan-dialog[open] .plan-grid.large');
    await shot(page, 'e2e-plan-full.png');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog.plan-dialog', { state: 'detached' });
  });

  it('exports the comparison as Markdown', async () => {
    const md = await download(page, () => exportItem(page, 'compare-export', 'export-compare-md'));
    const text = md.body.toString('utf8');
    for (const s of ['select', 'select-in', 'joined', 'balanced', 'dataloader']) expect(text).toContain(s);
    expect(text).toContain('posts.comments');
  });

  it('reloads a comparison link into the same comparison', async () => {
    const link = page.url();
    const ranAt = await page.textContent('[data-testid="ran-at"]');
    // In this browser the last result comes back without running again…
    const other = watch(await context.newPage());
    await other.goto(link);
    await other.waitForSelector('[data-testid="compare-report"]');
    expect(await other.isChecked('input[data-path="posts.comments"]')).toBe(true);
    expect(await other.inputValue('#limit')).toBe('3');
    expect(await other.textContent('.report-head h2')).toContain('posts.comments');
    expect(await other.textContent('[data-testid="ran-at"]')).toBe(ranAt);
    for (const s of ['select', 'select-in', 'joined', 'balanced', 'dataloader']) await other.waitForSelector(`[data-testid="strategy-col-${s}"]`);
    await other.close();
    // …and in a browser that never ran it, the link runs the same comparison.
    const elsewhere = await openContext();
    const fresh = watch(await elsewhere.newPage());
    await fresh.goto(link);
    await fresh.waitForSelector('[data-testid="compare-report"], .compare-results .error-box', { timeout: 100_000 });
    expect(await fresh.$('.compare-results .error-box')).toBeNull();
    expect(await fresh.textContent('.report-head h2')).toContain('posts.comments');
    expect(Number(await fresh.getAttribute('[data-testid="round-trips-joined"]', 'data-value'))).toBe(1);
    await elsewhere.close();
  });

  it('shows "no meaningful difference" in a pill with a background, like a named winner', async () => {
    // The same comparison run for real, its report changed to a tie of the two fastest.
    const tieContext = await openContext();
    const tie = watch(await tieContext.newPage());
    await tie.route('**/api/compare', async (route) => {
      const response = await route.fetch();
      const events = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; report?: { verdict: { winner: string | null; tied?: string[]; ranking: { strategy: string }[] } } });
      const verdict = events.find((e) => e.type === 'report')!.report!.verdict;
      verdict.winner = null;
      verdict.tied = verdict.ranking.slice(0, 2).map((r) => r.strategy);
      await route.fulfill({ response, body: `${events.map((e) => JSON.stringify(e)).join('\n')}\n` });
    });
    await tie.goto(page.url());
    await tie.waitForSelector('[data-testid="winner-tie"]', { timeout: 100_000 });
    expect(await tie.textContent('[data-testid="winner-tie"]')).toMatch(/^Fastest: no meaningful difference \(/);
    const style = await tie.$eval('[data-testid="winner-tie"]', (el) => ({ background: getComputedStyle(el).backgroundColor, color: getComputedStyle(el).color }));
    expect(style.background).not.toBe('rgba(0, 0, 0, 0)');
    expect(style.background).not.toBe(style.color);
    await tie.locator('[data-testid="verdict"]').screenshot({ path: join(shots, 'e2e-compare-tie.png') });
    await tieContext.close();
  });

  it('previews what deleting a user would remove and shows a lint finding\'s why and fix', async () => {
    await page.goto(`${base}/diagram?table=public.users`);
    await page.waitForSelector('[data-testid="cascade-section"]');
    await page.fill('[data-testid="cascade-id"]', '1');
    await page.click('[data-testid="cascade-run"]');
    // The report, or the error the page shows instead (whose text then fails the test, not a timeout).
    await waitOrExplain(page, '[data-testid="cascade-report"], [data-testid="cascade-section"] .error-box', 60_000);
    expect(await page.$('[data-testid="cascade-section"] .error-box') && await page.textContent('[data-testid="cascade-section"] .error-box')).toBeNull();
    const report = (await page.textContent('[data-testid="cascade-report"]')) ?? '';
    expect(report).toMatch(/User\.comments declares no remove cascade/);
    expect(report).toContain('Nothing was deleted.');
    await page.fill('[data-testid="cascade-id"]', 'abc');
    await page.click('[data-testid="cascade-run"]');
    await page.waitForSelector('[data-testid="cascade-section"] .error-box');
    expect(await page.textContent('[data-testid="cascade-section"] .error-box')).toMatch(/id must be an integer/);
    await page.click('[data-testid="panel-tab-lint"]');
    await page.waitForSelector('[data-testid="lint-list"] [data-testid="finding-extra"]');
    await page.click('[data-testid="lint-list"] [data-testid="finding-extra"] summary');
    expect(await page.textContent('[data-testid="lint-list"] [data-testid="finding-extra"] pre')).toMatch(/p\.(oneToMany|manyToOne|oneToOne|manyToMany)\(/);
  });

  it('keeps the delete preview\'s field focused when the panel is drawn again mid-typing (lint arriving)', async () => {
    const typing = watch(await context.newPage());
    let release!: () => void;
    const lintHeld = new Promise<void>((resolve) => { release = resolve; });
    await typing.route('**/api/lint**', async (route) => { await lintHeld; await route.continue(); });
    await typing.goto(`${base}/diagram?table=public.users`);
    await typing.waitForSelector('[data-testid="cascade-section"]');
    await typing.click('[data-testid="cascade-id"]');
    await typing.keyboard.type('1');
    const lintTab = await typing.textContent('[data-testid="panel-tab-lint"]');
    expect(lintTab).toBe('Lint'); // no count until lint has answered (it said 0 while loading)
    release(); // lint arrives: the panel is drawn again with its count
    await typing.waitForFunction((before) => document.querySelector('[data-testid="panel-tab-lint"]')?.textContent !== before, lintTab);
    await typing.keyboard.type('2');
    expect(await typing.inputValue('[data-testid="cascade-id"]')).toBe('12');
    await typing.close();
  });

  it('shows API errors as readable messages, never a blank page', async () => {
    await page.goto(`${base}/diagram?focus=no_such_table`);
    await diagramReady(page);
    const message = await page.textContent('.canvas .error-box');
    expect(message).toMatch(/no_such_table/);
    const broken = watch(await context.newPage());
    await broken.route('**/api/entities', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'The database is unavailable: connection refused.' }) }));
    await broken.goto(`${base}/compare`);
    await broken.waitForSelector('.compare-form .error-box');
    expect(await broken.textContent('.compare-form .error-box')).toContain('The database is unavailable');
    await shot(broken, 'e2e-error.png');
    await broken.close();
  });

  it('draws the dark theme', async () => {
    const dark = await openContext('dark');
    const p = watch(await dark.newPage());
    await p.goto(`${base}/diagram?table=public.users`);
    await diagramReady(p);
    const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).not.toBe('rgb(255, 255, 255)');
    await shot(p, 'e2e-diagram-dark.png');
    await dark.close();
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
