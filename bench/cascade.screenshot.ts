/**
 * The README's cascade preview screenshot (docs/cascade-preview.png): the demo's users table
 * open in the side panel with "What would a delete remove?" run for one user.
 *
 * Run: npx tsx bench/cascade.screenshot.ts [--out docs/cascade-preview.png] [--db URL] [--id N]
 * Without --db the demo is seeded (scale 0.2) into a throwaway embedded database.
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

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/cascade-preview.png' }, db: { type: 'string' }, id: { type: 'string', default: '2' } } });
const out = resolve(values.out!);

await ensureWebBuilt({ quiet: true });
const dir = mkdtempSync(join(tmpdir(), 'relscope-screenshot-'));
let embedded: EmbeddedPostgres | null = null;
let url = values.db;
if (!url) {
  embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
  url = (await embedded.start()).url;
}
const ctx = await createContext({ target: { kind: embedded ? 'embedded' : 'external', url, display: embedded ? 'embedded PGlite' : 'local PostgreSQL', label: embedded ? 'embedded PGlite' : '127.0.0.1:5432/relscope', close: async () => {} } });
let server: ServerType | null = null;
const browser = await chromium.launch({ executablePath: requireChromium(), args: chromiumArgs, headless: true });
try {
  if (embedded) await prepareDemo(ctx, { scale: 0.2 });
  const app = createApp(ctx, { webRoot });
  server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await browser.newPage({ viewport: { width: 1280, height: 1180 }, colorScheme: 'light', deviceScaleFactor: 1 });
  await page.goto(`${base}/diagram?table=public.users`);
  await page.waitForSelector('.view-inner[data-state="ready"], .view-inner[data-state="error"]', { timeout: 120_000, state: 'attached' });
  if ((await page.getAttribute('.view-inner', 'data-state')) !== 'ready') throw new Error(`the page shows an error: ${await page.textContent('.view-inner')}`);
  await page.fill('[data-testid="cascade-id"]', values.id!);
  await page.click('[data-testid="cascade-run"]');
  await page.waitForSelector('[data-testid="cascade-report"]', { timeout: 60_000 });
  await page.locator('[data-testid="cascade-section"]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.mouse.move(5, 1170);
  await page.waitForTimeout(300);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  if (server) await new Promise<void>((done) => server!.close(() => done()));
  await ctx.close();
  await embedded?.stop();
  rmSync(dir, { recursive: true, force: true });
}
