/**
 * Shared by the page's end-to-end tests: the real server (createApp) on a context, Debian's
 * Chromium through playwright-core, the page's main-thread tasks from a Chromium trace, and a
 * page-error watcher. Each test file starts its own server and browser.
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

export const now = (page: Page) => page.evaluate(() => performance.now());

/** One main-thread task of the page: its wall time and its CPU (thread) time, ms. */
export interface MainTask {
  wall: number;
  cpu: number;
}

/**
 * The renderer main thread's tasks over 50 ms (wall time) while `act` runs, from a Chromium
 * trace (RunTask on CrRendererMain, `dur` and `tdur`). Wall time is what a person waits,
 * but it stretches with everything else the machine runs; CPU time is the work the page
 * did in that task, which the machine's load hardly changes. Tasks of every renderer in the
 * browser count (only the page under test is busy), so the figure can only be too large.
 */
export async function mainThreadTasks(page: Page, act: () => Promise<void>): Promise<MainTask[]> {
  const browser = page.context().browser()!;
  await browser.startTracing(undefined, { categories: ['disabled-by-default-devtools.timeline'] });
  let trace: Buffer;
  try {
    await act();
    // A task still running is written when it ends: give it a frame or two.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  } finally {
    trace = await browser.stopTracing();
  }
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }[] }).traceEvents;
  const mainThreads = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  return events
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && mainThreads.has(`${e.pid}:${e.tid}`) && (e.dur ?? 0) > 50_000)
    .map((e) => ({ wall: Math.round(e.dur! / 1000), cpu: Math.round((e.tdur ?? e.dur!) / 1000) }));
}

/** Waits for the Schema view to finish (drawn, map, cancelled, or an error shown). */
export async function viewSettled(page: Page, timeout = 120_000): Promise<string> {
  await page.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"], .view-inner[data-state="cancelled"]', { timeout, state: 'attached' });
  return (await page.getAttribute('.view-inner', 'data-state')) ?? '';
}

export function shotPath(name: string): string {
  return join(shots, name);
}
