/**
 * The page on a database it has never seen, with no MikroORM config (`relscope serve --db URL`
 * outside any project), in real Chromium: it opens on the database's own schema rather than the
 * demo model's tables, long names stay inside their boxes, a table of 150 columns does not
 * shrink the picture past reading, the lint lists this database's findings only, a table with no
 * entity says why it has no delete preview, and the Strategies view says beforehand that the
 * demo entities it lists are not in this database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWeb, watchErrors, type WebHarness } from './helpers/web.ts';
import { sqlDatabase, type GeneratedDatabase } from './helpers/large-schema.ts';
import { box } from '../web/layout/boxes.ts';

const longTable = 'this_is_a_very_long_table_name_that_needs_more_room_than_a_box';
const longColumn = 'this_is_an_extremely_long_column_name_that_overflows_its_box';
const wideColumns = Array.from({ length: 149 }, (_, i) => `col_${String(i + 1).padStart(3, '0')} ${['int', 'text', 'jsonb'][i % 3]}`);
const sql = `
create schema shop;
create table shop.customer (id serial primary key, email text);
create table shop.${longTable} (id serial primary key, ${longColumn} int, customer_id int references shop.customer(id), code text default 'a-default-value-without-any-spaces-in-it-at-all');
create table shop.wide (id serial primary key, ${wideColumns.join(', ')}, customer_id int references shop.customer(id));
create view shop.customer_emails as select id, email from shop.customer;
`;
const ids = ['shop.customer', 'shop.customer_emails', `shop.${longTable}`, 'shop.wide'];

let db: GeneratedDatabase;
let web: WebHarness;
let page: Page;
const errors: string[] = [];

const drawn = (p: Page) => p.$$eval('.canvas svg g.rs-table[data-table]', (n) => n.map((g) => (g as SVGGElement).dataset.table!).sort());
const ready = (p: Page) => p.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"]', { timeout: 60_000, state: 'attached' });

beforeAll(async () => {
  db = await sqlDatabase('unseen', sql);
  web = await startWeb(db.ctx);
  const context = await web.browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = watchErrors(await context.newPage(), errors);
}, 300_000);

afterAll(async () => {
  await web?.close();
  await db?.drop();
});

describe('the page on an unseen database without a MikroORM config', () => {
  it('opens on the database, not on the demo model whose tables it does not have; ORM stays one click away', async () => {
    await page.goto(`${web.base}/diagram`);
    await ready(page);
    expect(await drawn(page)).toEqual(ids);
    // Counted as the header counts them: tables, and views apart.
    expect(await page.textContent('[data-testid="drawn-count"]')).toBe('3 tables · 1 view');
    expect(await page.isChecked('[data-testid="source-db"]')).toBe(true);
    expect(new URL(page.url()).searchParams.get('source')).toBeNull();
    await page.click('label[for="source-orm"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('source') === 'orm');
    await ready(page);
    expect(await drawn(page)).toContain('public.users');
    await page.goBack();
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('source'));
    await page.waitForFunction(() => document.querySelector('.canvas svg g.rs-table[data-table="shop.wide"]'));
    expect(await page.isChecked('[data-testid="source-db"]')).toBe(true);
  });

  it('cuts names longer than a box with "…" (the full name in a tooltip) instead of running over', async () => {
    await page.goto(`${web.base}/diagram?source=db`);
    await ready(page);
    const over = await page.$$eval('.canvas svg g.rs-table', (nodes, padX) => {
      const out: string[] = [];
      for (const g of nodes) {
        const width = Number(g.querySelector('rect')!.getAttribute('width'));
        const title = g.querySelector<SVGTextElement>('text.rs-title')!;
        if (title.getComputedTextLength() > width - 2 * padX + 1) out.push(`title of ${(g as SVGGElement).dataset.table}`);
        for (const row of g.querySelectorAll('text.rs-row')) {
          const [name, type] = row.querySelectorAll<SVGTSpanElement>('tspan');
          if (name && type && padX + name.getComputedTextLength() > Number(type.getAttribute('x')) - 4) out.push(`${name.textContent} runs into its type`);
        }
      }
      return out;
    }, box.padX);
    expect(over).toEqual([]);
    const long = `.canvas svg g.rs-table[data-table="shop.${longTable}"]`;
    expect(await page.textContent(`${long} text.rs-title`)).toContain('…');
    expect(await page.textContent(`${long} text.rs-title title`)).toBe(longTable);
  });

  it('keeps a table\'s columns inside the side panel: long names, types and defaults break, never cut off', async () => {
    await page.goto(`${web.base}/diagram?table=shop.${longTable}`);
    await page.waitForSelector('[data-testid="table-details"]');
    // Once lint has answered: its findings name the long table too.
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="panel-tab-lint"]')?.textContent ?? ''));
    const body = await page.$eval('.side-panel .panel-body', (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(body.scroll).toBeLessThanOrEqual(body.client);
  });

  it('draws at most 30 rows of a 151-column table and says how many more there are', async () => {
    const rows = await page.$$eval('.canvas svg g.rs-table[data-table="shop.wide"] text.rs-row', (n) => n.map((t) => t.textContent ?? ''));
    expect(rows.length).toBe(30);
    expect(rows[0]).toMatch(/^id/);
    expect(rows.some((r) => r.startsWith('customer_id'))).toBe(true);
    expect(rows.at(-1)).toBe('… 122 more columns');
    // Readable as opened: the picture is fitted at 40 % or more, not shrunk to the tall box.
    expect(Number((await page.textContent('.zoom-label'))!.replace('%', ''))).toBeGreaterThanOrEqual(40);
  });

  it('keeps the names of a small picture painted when zoomed out below 40 % (the level of detail is for large ones)', async () => {
    await page.goto(`${web.base}/diagram?source=db`);
    await ready(page);
    for (let i = 0; i < 12 && Number((await page.textContent('.zoom-label'))!.replace('%', '')) >= 30; i++) await page.click('button[aria-label="Zoom out"]');
    expect(Number((await page.textContent('.zoom-label'))!.replace('%', ''))).toBeLessThan(40);
    await page.waitForTimeout(600); // the zoom settles
    const text = await page.$eval('.canvas svg g.rs-table text', (t) => ({ visibility: getComputedStyle(t).visibility, far: !!t.closest('.rs-far') }));
    expect(text).toEqual({ visibility: 'visible', far: false });
  });

  it('lists only this database\'s lint findings, not the demo model\'s relationship checks', async () => {
    await page.goto(`${web.base}/diagram?source=db&tab=lint`);
    await ready(page);
    await page.waitForFunction(() => /fk-not-indexed/.test(document.querySelector('[data-testid="lint-list"]')?.textContent ?? ''));
    const text = (await page.textContent('[data-testid="lint-list"]')) ?? '';
    expect(text).toContain('shop.wide');
    expect(text).not.toMatch(/comments|post_categories|profiles|User\./);
  });

  it('says why a table without an entity has no delete preview', async () => {
    await page.goto(`${web.base}/diagram?source=db&table=shop.customer`);
    await page.waitForSelector('[data-testid="table-details"][data-table="shop.customer"]');
    expect(await page.textContent('[data-testid="cascade-unavailable"]')).toMatch(/No MikroORM entity maps this table/);
  });

  it('says in the Strategies view, before a run, that the demo entities are not in this database', async () => {
    await page.click('.nav-link[data-view="compare"]');
    await page.waitForSelector('[data-testid="compare-demo-note"]:not([hidden])');
    expect(await page.textContent('[data-testid="compare-demo-note"]')).toMatch(/No MikroORM config was found.*none of their tables/);
  });

  it('had no uncaught errors in the page', () => {
    expect(errors).toEqual([]);
  });
});
