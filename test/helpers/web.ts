/**
 * Shared by the page's end-to-end tests: the real server (createApp) on a context, Debian's
 * Chromium through playwright-core, a recorder of long tasks (PerformanceObserver 'longtask'),
 * and a page-error watcher. Each test file starts its own server and browser.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../server/api.ts';
import { ensureWebBuilt, webRoot } from '../../server/build-web.ts';
import { chromiumArgs, findChromium } from '../../server/render/image.ts';
import type { AppContext } from '../../server/context.ts';

export const shots = resolve('test-results');
export const docs = resolve('docs');

export interface WebHarness {
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startWeb(ctx: AppContext): Promise<WebHarness> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('The end-to-end tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH).');
  mkdirSync(shots, { recursive: true });
  await ensureWebBuilt({ quiet: true });
  const app = createApp(ctx, { webRoot });
  const server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  const browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** Collects uncaught page errors and console errors (HTTP 4xx/5xx lines aside). */
export function watchErrors(page: Page, into: string[]): Page {
  page.on('pageerror', (error) => into.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (4|5)\d\d/.test(msg.text())) into.push(`console: ${msg.text()}`);
  });
  return page;
}

/** Installs a long-task recorder before any script of the page runs. */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** Long tasks (ms) that started at or after `since` (the page's performance.now()). */
export async function longTasksSince(page: Page, since: number): Promise<number[]> {
  // A task still running is reported when it ends: give the observer a frame or two.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate((t) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((x) => x.start + x.duration >= t).map((x) => Math.round(x.duration)), since);
}

export const now = (page: Page) => page.evaluate(() => performance.now());

/** Waits for the Schema view to finish (drawn, map, cancelled, or an error shown). */
export async function viewSettled(page: Page, timeout = 120_000): Promise<string> {
  await page.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"], .view-inner[data-state="cancelled"]', { timeout, state: 'attached' });
  return (await page.getAttribute('.view-inner', 'data-state')) ?? '';
}

export function shotPath(name: string): string {
  return join(shots, name);
}
