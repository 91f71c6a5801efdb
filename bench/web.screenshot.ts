/**
 * The README's screenshot (docs/screenshot.png): the demo diagram with a table open in the
 * side panel, as `npm start` shows it at 1280×800 in the light theme.
 *
 * Run: npx tsx bench/web.screenshot.ts [--out docs/screenshot.png] [--dark]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { serve, type ServerType } from '@hono/node-server';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { createContext, prepareDemo } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import { ensureWebBuilt, webRoot } from '../server/build-web.ts';
import { chromiumArgs, requireChromium } from '../server/render/image.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/screenshot.png' }, dark: { type: 'boolean', default: false } } });
const out = resolve(values.out!);

await ensureWebBuilt({ quiet: true });
const dir = mkdtempSync(join(tmpdir(), 'relscope-screenshot-'));
const embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
const info = await embedded.start();
const ctx = await createContext({ target: { kind: 'embedded', url: info.url, display: `embedded PG ${info.version}`, close: async () => {} } });
let server: ServerType | null = null;
const browser = await chromium.launch({ executablePath: requireChromium(), args: chromiumArgs, headless: true });
try {
  await prepareDemo(ctx, { scale: 1 });
  const app = createApp(ctx, { webRoot });
  server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: values.dark ? 'dark' : 'light', deviceScaleFactor: 1 });
  await page.goto(`${base}/diagram?table=public.posts`);
  await page.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"]', { timeout: 120_000, state: 'attached' });
  if ((await page.getAttribute('.view-inner', 'data-state')) !== 'ready') throw new Error(`the page shows an error: ${await page.textContent('.view-inner')}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="drift-button"] .count-pill')?.textContent !== '…');
  // Zoom in on the selected table and its neighbours, as a person would.
  const box = (await page.locator('g.rs-table[data-table="public.posts"]').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -300);
  await page.mouse.move(5, 790);
  await page.waitForTimeout(300);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  if (server) await new Promise<void>((done) => server!.close(() => done()));
  await ctx.close();
  await embedded.stop();
  rmSync(dir, { recursive: true, force: true });
}
