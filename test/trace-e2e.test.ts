/**
 * The Requests view in real Chromium: examples/blog (traced, in a child process) sends its
 * requests to relscope serve; the page shows them live, filters to those with findings, shows
 * the N+1 with its call site, the dropped count, and opens the lab pre-filled for the load.
 * The screenshot docs/requests-view.png in the README comes from here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve, type ServerType } from '@hono/node-server';
import { targets, contextFor } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { ensureWebBuilt, webRoot } from '../server/build-web.ts';
import { findChromium, chromiumArgs } from '../server/render/image.ts';
import type { AppContext } from '../server/context.ts';
import { startBlog, stopChild } from './helpers/blog.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
let ctx: AppContext;
let server: ServerType;
let base: string;
let browser: Browser;
let page: Page;
let blog: ChildProcess;
let blogUrl: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('The end-to-end tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH).');
  mkdirSync(resolve('test-results'), { recursive: true });
  execFileSync(process.execPath, [resolve('tools/build-trace.mjs')], { stdio: 'inherit' }); // atomic per file: another test file may be importing dist/trace
  await ensureWebBuilt({ quiet: true });
  ctx = await contextFor(target);
  const app = createApp(ctx, { webRoot });
  server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ child: blog, url: blogUrl } = await startBlog({ DATABASE_URL: target.url, RELSCOPE_URL: base, RELSCOPE_PARAMS: '1', POOL_MAX: '1' }));
  browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await stopChild(blog);
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  await ctx?.close();
});

describe('Requests view', () => {
  it('shows traced requests live, filters to findings, and shows the N+1 with its call site', async () => {
    await page.goto(`${base}/requests`);
    await page.waitForSelector('[data-testid="requests-status"]:has-text("live")');
    expect(await page.textContent('[data-testid="request-detail"]')).toContain("attach(orm)");
    await fetch(`${blogUrl}/feed?limit=8`);
    await fetch(`${blogUrl}/feed/fixed?limit=8`);
    await fetch(`${blogUrl}/posts/1`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="request-item"]').length === 3);
    const names = await page.$$eval('[data-testid="request-item"] .rq-name', (els) => els.map((e) => e.textContent));
    expect(names).toEqual(['GET /posts/:id', 'GET /feed/fixed', 'GET /feed']);
    await page.click('[data-testid="requests-filter"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="request-item"]').length === 1);
    expect(new URL(page.url()).searchParams.get('findings')).toBe('1');
    await page.click('[data-testid="request-item"]');
    await page.waitForSelector('[data-testid="finding"]');
    const finding = await page.textContent('[data-testid="finding"]');
    expect(finding).toContain('User.posts');
    expect(finding).toContain('8 statements');
    expect(await page.textContent('[data-testid="finding-site"]')).toMatch(/examples\/blog\/app\.ts:\d+:\d+$/);
    expect(await page.$$('[data-testid="statement"]')).toHaveLength(9);
    expect(await page.textContent('[data-testid="request-detail"]')).toContain('params: [');
    await page.screenshot({ path: resolve('docs/requests-view.png') });
    await page.screenshot({ path: join(resolve('test-results'), 'requests-view.png') });
  });

  it('shows what tracers dropped', async () => {
    const response = await fetch(`${base}/api/trace`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, source: { pid: 1, app: 'other' }, dropped: 3, scopes: [] }) });
    expect(response.status).toBe(200);
    await page.waitForSelector('[data-testid="requests-dropped"]:has-text("3 dropped")');
  });

  it('"Compare strategies for this load" opens the lab with the root entity and populate path', async () => {
    await page.click('[data-testid="compare-load"]');
    await page.waitForURL(/\/compare\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('root')).toBe('User');
    expect(url.searchParams.get('populate')).toBe('posts');
    await page.waitForSelector('[data-testid="root-entity"]', { timeout: 60_000 });
    expect(await page.$eval('[data-testid="root-entity"]', (el) => (el as HTMLSelectElement).value)).toBe('User');
    expect(pageErrors).toEqual([]);
  });
});
