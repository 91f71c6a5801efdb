/**
 * Every URL parameter the page reads is checked: a value it cannot use is said in one
 * readable line with a suggestion and a one-click fix (never a silent fallback), and an
 * unknown path answers HTTP 404 with the page's 404 view. Real Chromium on the demo database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { targets, contextFor } from './helpers/targets.ts';
import { shotPath, startWeb, viewSettled, watchErrors, type WebHarness } from './helpers/web.ts';
import type { AppContext } from '../server/context.ts';
import { pageViews } from '../common/page-paths.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
let ctx: AppContext;
let web: WebHarness;
let page: Page;
const errors: string[] = [];

const problems = (p: Page) => p.$$eval('[data-testid="url-problem"]', (n) => n.map((x) => ({ param: (x as HTMLElement).dataset.param, text: x.querySelector('.url-problem-text')?.textContent ?? '' })));

beforeAll(async () => {
  ctx = await contextFor(target);
  web = await startWeb(ctx);
  page = watchErrors(await (await web.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage(), errors);
});

afterAll(async () => {
  await web?.close();
  await ctx?.close();
});

describe('URL parameters and paths (e2e, Chromium)', () => {
  it('says which Schema parameters it cannot use, and fixes the address in one click', async () => {
    await page.goto(`${web.base}/diagram?source=xyz&tab=nope&full=yes&colour=red`);
    expect(await viewSettled(page)).toBe('ready');
    const found = await problems(page);
    expect(found.map((p) => p.param).sort()).toEqual(['colour', 'full', 'source', 'tab']);
    expect(found.find((p) => p.param === 'source')!.text).toBe('source=xyz is not a schema source: use source=orm (the MikroORM entities) or source=db (the database catalogs). Showing the ORM model.');
    await page.screenshot({ path: shotPath('url-problems.png') });
    await page.click('[data-testid="url-problem"][data-param="source"] [data-testid="url-problem-fix"]');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('source'));
    expect((await problems(page)).map((p) => p.param).sort()).toEqual(['colour', 'full', 'tab']);
  });

  it('names the nearest tables for an unknown table, schema or focus', async () => {
    await page.goto(`${web.base}/diagram?table=public.post&schema=nowhere`);
    expect(await viewSettled(page)).toBe('ready');
    await page.waitForSelector('[data-testid="url-problem"][data-param="table"]');
    const found = await problems(page);
    expect(found.find((p) => p.param === 'table')!.text).toMatch(/^table=public\.post: the ORM model has no such table\. Did you mean public\.posts/);
    expect(found.find((p) => p.param === 'schema')!.text).toContain('has no tables in a schema of that name (it has public)');
    await page.goto(`${web.base}/diagram?focus=nope`);
    expect(await viewSettled(page)).toBe('error');
    expect(await page.textContent('.canvas')).toMatch(/no table "nope"/);
    await page.goto(`${web.base}/diagram?focus=posts&depth=9`);
    expect(await viewSettled(page)).toBe('ready');
    expect((await problems(page)).map((p) => p.text)).toContain('depth=9 is not a number of hops from 1 to 4. Showing 1 hop.');
  });

  it('says which Strategies parameters it cannot use, with the nearest entity', async () => {
    await page.goto(`${web.base}/compare?root=Usr&limit=abc&strategies=select,fast&run=2`);
    await page.waitForSelector('[data-testid="url-problem"][data-param="root"]', { timeout: 60_000 });
    const found = await problems(page);
    expect(found.map((p) => p.param).sort()).toEqual(['limit', 'root', 'run', 'strategies']);
    expect(found.find((p) => p.param === 'root')!.text).toMatch(/^root=Usr: there is no entity Usr in the ORM model \(\d+ entities\)\. Did you mean User/);
    expect(found.find((p) => p.param === 'limit')!.text).toBe('limit=abc is not a whole number from 1 to 10000. Using 20.');
    expect(found.find((p) => p.param === 'strategies')!.text).toContain('fast is not a strategy');
    await page.click('[data-testid="url-problem"][data-param="root"] [data-testid="url-problem-fix"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('root') === 'User');
    expect(await page.inputValue('[data-testid="root-entity"]')).toBe('User');
  });

  it('answers an unknown path with HTTP 404 and the page\'s 404 view, its own paths with 200', async () => {
    const response = await page.goto(`${web.base}/nothing-here?x=1`);
    expect(response!.status()).toBe(404);
    expect(response!.headers()['content-type']).toMatch(/^text\/html/);
    await page.waitForSelector('[data-testid="not-found"]');
    expect(await page.textContent('[data-testid="not-found"]')).toContain('relscope has no view at /nothing-here');
    expect(await page.textContent('[data-testid="not-found"]')).toContain('/requests');
    expect(await page.title()).toBe('Not found · relscope');
    await page.screenshot({ path: shotPath('not-found.png') });
    await page.click('text=Open the schema');
    expect(await viewSettled(page)).toBe('ready');
    expect(new URL(page.url()).pathname).toBe('/diagram');
    // Every path the page routes (the list in common/page-paths.ts) is 200; near misses are 404.
    const status = async (path: string) => (await fetch(`${web.base}${path}`)).status;
    for (const path of ['/', '/index.html', ...pageViews.map((v) => `/${v}`), '/diagram/', '/compare?root=User']) expect(await status(path), path).toBe(200);
    for (const path of ['/diagrams', '/diagram/extra', '/Compare', '/assets/nothing.js', '/api-docs']) expect(await status(path), path).toBe(404);
    // Unknown API paths stay JSON 404s.
    const api = await fetch(`${web.base}/api/nothing`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('had no uncaught errors in the page', () => {
    expect(errors).toEqual([]);
  });
});
