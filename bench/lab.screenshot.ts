/**
 * The streaming strategy lab in the page (docs/compare-streaming.png): `User` with
 * posts.comments, limit 20, captured while the comparison streams: the cheap strategies'
 * rows already measured, the lazy select loop running with its predicted round trips.
 *
 * Run: npx tsx bench/lab.screenshot.ts [--out docs/compare-streaming.png]
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

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/compare-streaming.png' } } });
const out = resolve(values.out!);

await ensureWebBuilt({ quiet: true });
const dir = mkdtempSync(join(tmpdir(), 'relscope-lab-screenshot-'));
const embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
const info = await embedded.start();
const ctx = await createContext({ target: { kind: 'embedded', url: info.url, display: `embedded PG ${info.version}`, embedded, close: async () => {} } });
let server: ServerType | null = null;
const browser = await chromium.launch({ executablePath: requireChromium(), args: chromiumArgs, headless: true });
try {
  await prepareDemo(ctx, { scale: 1 });
  const app = createApp(ctx, { webRoot });
  server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', deviceScaleFactor: 1 });
  await page.goto(`${base}/compare?root=User&populate=posts.comments`);
  await page.waitForSelector('[data-testid="run-compare"]');
  await page.click('[data-testid="run-compare"]');
  // The moment the lazy loop runs: every cheap strategy is on screen, select shows its prediction.
  await page.waitForSelector('[data-testid="live-row-select"][data-state="running"]', { timeout: 120_000 });
  await page.waitForTimeout(400);
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
