/**
 * SVG and PNG rendered by Mermaid in the system's headless Chromium (what `export --format
 * svg|png` and /api/diagram?format=svg produce). Skipped, saying why, only where no Chromium is
 * installed; CI installs Debian's `chromium`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium as playwright, type Browser } from 'playwright-core';
import { chromiumArgs, findChromium, MermaidRenderer, requireChromium } from '../server/render/image.ts';
import { planDiagram, renderErDiagram } from '../server/render/mermaid.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import type { SchemaModel } from '../common/schema-model.ts';
import { demoEntities } from '../entities/index.ts';
import { displayed, hostileModel } from './mermaid-hostile.ts';
import { createContext } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import { main } from '../server/cli.ts';
import { UserError } from '../server/errors.ts';

const executable = findChromium();
const missing = executable ? '' : ' (SKIPPED: no Chromium found; install it with `apt-get install chromium` or set CHROMIUM_PATH)';
if (!executable) console.warn(`mermaid-render.test.ts${missing}`);

it('names what to install when no Chromium is found', () => {
  const error = (() => { try { requireChromium({ PATH: '/nonexistent' }); } catch (e) { return e; } return null; })();
  if (executable && !error) return; // a system path candidate exists here
  expect(error).toBeInstanceOf(UserError);
  expect((error as Error).message).toMatch(/apt-get install chromium/);
  expect(() => requireChromium({ CHROMIUM_PATH: '/nonexistent/chrome' })).toThrow('CHROMIUM_PATH is set to "/nonexistent/chrome", which is not an executable file');
});

describe.skipIf(!executable)(`rendering in headless Chromium${missing}`, () => {
  let renderer: MermaidRenderer;
  let browser: Browser;
  let demo: SchemaModel;
  let dir: string;
  beforeAll(async () => {
    [renderer, browser, demo] = await Promise.all([
      MermaidRenderer.launch(executable!),
      playwright.launch({ executablePath: executable!, args: chromiumArgs }),
      modelFromEntities(demoEntities),
    ]);
    dir = mkdtempSync(join(tmpdir(), 'relscope-render-'));
  });
  afterAll(async () => {
    await renderer?.close();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Entity name labels and edge labels as the browser shows them. */
  async function shown(svg: string): Promise<{ entities: Record<string, string>; edges: string[] }> {
    const page = await browser.newPage();
    try {
      await page.setContent(`<!doctype html><meta charset="utf-8"><body>${svg}</body>`);
      return await page.evaluate(() => {
        const entities: Record<string, string> = {};
        for (const node of document.querySelectorAll('g.node')) {
          const alias = /entity-(e\d+)-/.exec(node.id)?.[1];
          const name = node.querySelector('.label.name .nodeLabel, .name .nodeLabel, .nodeLabel');
          if (alias && name) entities[alias] = (name as HTMLElement).innerText;
        }
        const edges = [...document.querySelectorAll('.edgeLabel .nodeLabel, .edgeLabel p')].map((e) => (e as HTMLElement).innerText).filter(Boolean);
        return { entities, edges };
      });
    } finally {
      await page.close();
    }
  }

  it('renders the demo diagram: nine entities, eleven labelled relationships, the same bytes twice', async () => {
    const diagram = planDiagram(demo);
    const first = (await renderer.render(diagram.mermaid, 'svg')).toString('utf8');
    const second = (await renderer.render(diagram.mermaid, 'svg')).toString('utf8');
    expect(second).toBe(first);
    expect(first.startsWith('<svg')).toBe(true);
    expect(first).not.toContain('Maximum text size');
    const { entities, edges } = await shown(first);
    expect(Object.keys(entities).sort()).toEqual(Object.keys(diagram.aliases).sort());
    for (const [alias, id] of Object.entries(diagram.aliases)) expect(entities[alias]).toBe(id.slice('public.'.length));
    expect(edges.sort()).toEqual(['category_id', 'parent_id', 'post_id', 'post_id', 'team_id', 'team_id', 'user_id', 'user_id', 'user_id', 'user_id', 'user_id']);
  });

  it('shows hostile names exactly as they are, not as markdown or HTML', async () => {
    const model = hostileModel();
    const picked = model.tables.filter((_, i) => i % 8 === 0).map((t) => t.id);
    const { text, aliases } = renderErDiagram(model, picked, { attributes: true, collapsePivots: false });
    const svg = (await renderer.render(text, 'svg')).toString('utf8');
    const { entities } = await shown(svg);
    expect(Object.keys(entities).length).toBe(picked.length);
    const wrong = Object.entries(aliases)
      .map(([alias, id]) => ({ want: displayed(id), got: entities[alias] }))
      // The browser collapses runs of white space in HTML text; compare with that in mind.
      .filter(({ want, got }) => got?.replace(/\s+/g, ' ').trim() !== want.replace(/\s+/g, ' ').trim());
    expect(wrong).toEqual([]);
  });

  it('rasterises to PNG', async () => {
    const png = await renderer.render(planDiagram(demo, { focus: 'users', depth: 1 }).mermaid, 'png');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBeGreaterThan(200);
    expect(height).toBeGreaterThan(200);
  });

  it('exports svg from the CLI and serves it from /api/diagram?format=svg', async () => {
    // The orm source needs no database: a stopped one is fine here.
    const ctx = await createContext({ target: { kind: 'external', url: 'postgresql://postgres@127.0.0.1:9/relscope_none', display: 'none', close: async () => {} } });
    try {
      const res = await createApp(ctx).request('http://127.0.0.1:5177/api/diagram?source=orm&format=svg&collapsePivots=1&edgeLabels=columns');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('image/svg+xml');
      const svg = await res.text();
      expect(svg.startsWith('<svg')).toBe(true);
      expect((await shown(svg)).edges).toContain('user_team');
    } finally {
      await ctx.close();
    }
    const file = join(dir, 'schema.svg');
    const { url } = (await import('./helpers/targets.ts')).targets[0]!;
    expect(await main(['export', '--source', 'orm', '--format', 'svg', '--out', file, '--db', url])).toBe(0);
    const svg = readFileSync(file, 'utf8');
    expect(Object.keys((await shown(svg)).entities)).toHaveLength(9);
  });
});
