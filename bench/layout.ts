/**
 * Layout benchmark (issue 15): for Mermaid 12.3's dagre and ELK (@mermaid-js/layout-elk) layouts,
 * how many edges pass behind a box that is not one of their ends in the rendered SVG, and how
 * long mermaid.render takes, in headless Chromium (the renderer of `export --format svg`).
 *
 *   tsx bench/layout.ts [--runs N]
 *
 * Diagrams: the demo model (9 tables, from its MikroORM metadata), and the generated schema of
 * bench/generated-schema.ts (read from the scratch database `relscope_bench_startup` that
 * bench/startup.ts creates): its first 30 tables and all 100, with columns.
 * An edge "passes behind" a box when a point of its path, sampled every 2 px, lies more than
 * 2 px inside the box of an entity that is neither of its ends. Runs alternate dagre and ELK.
 * Figures go to stdout and bench/results/layout.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { requireChromium, chromiumArgs, mermaidScript } from '../server/render/image.ts';
import { elkScriptDir, layoutConfig, type DiagramLayout } from '../server/render/layout.ts';
import { planDiagram, renderErDiagram } from '../server/render/mermaid.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { modelFromDatabase } from '../server/schema/from-catalog.ts';
import { demoEntities } from '../entities/index.ts';

const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
const root = fileURLToPath(new URL('..', import.meta.url));
const baseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const benchUrl = (() => { const u = new URL(baseUrl); u.pathname = '/relscope_bench_startup'; return u.toString(); })();

interface Measured { ms: number; edges: number; behind: number; pairs: number; width: number; height: number }

/** Renders in the page and measures the picture (runs in the browser). */
async function measure(page: Page, text: string, layout: DiagramLayout): Promise<Measured> {
  return page.evaluate(async ({ text, config }) => {
    type M = { initialize(c: unknown): void; render(id: string, t: string): Promise<{ svg: string }> };
    const mermaid = (globalThis as unknown as { mermaid: M }).mermaid;
    mermaid.initialize(config);
    const started = performance.now();
    const { svg } = await mermaid.render('bench', text);
    const ms = performance.now() - started;
    const out = document.getElementById('out')!;
    out.innerHTML = svg;
    const root = out.querySelector('svg')!;
    const boxes = new Map<string, DOMRect>();
    for (const node of root.querySelectorAll<SVGGElement>('g.node')) {
      const m = /entity-(e\d+)-\d+$/.exec(node.id);
      if (m) boxes.set(m[1]!, node.getBoundingClientRect());
    }
    let behind = 0;
    let pairs = 0;
    const paths = [...root.querySelectorAll<SVGPathElement>('path.relationshipLine')];
    for (const path of paths) {
      const m = /entity-(e\d+)-\d+_entity-(e\d+)-\d+_\d+$/.exec(path.id);
      if (!m) continue;
      const ends = new Set([m[1]!, m[2]!]);
      const ctm = path.getScreenCTM()!;
      const length = path.getTotalLength();
      const hit = new Set<string>();
      for (let at = 0; at <= length; at += 2) {
        const p = path.getPointAtLength(at);
        const x = ctm.a * p.x + ctm.c * p.y + ctm.e;
        const y = ctm.b * p.x + ctm.d * p.y + ctm.f;
        for (const [alias, box] of boxes) {
          if (ends.has(alias) || hit.has(alias)) continue;
          if (x > box.left + 2 && x < box.right - 2 && y > box.top + 2 && y < box.bottom - 2) hit.add(alias);
        }
      }
      if (hit.size) behind++;
      pairs += hit.size;
    }
    const size = root.getBoundingClientRect();
    return { ms, edges: paths.length, behind, pairs, width: Math.round(size.width), height: Math.round(size.height) };
  }, { text, config: layoutConfig(layout) });
}

async function main() {
  const demo = await modelFromEntities(demoEntities);
  const generated = await modelFromDatabase({ url: benchUrl, kind: 'external' }, { schemas: ['public'] });
  if (generated.tables.length !== 100) throw new Error(`run bench/startup.ts first: ${benchUrl} holds ${generated.tables.length} tables, not 100`);
  const ids = generated.tables.map((t) => t.id);
  const diagrams = [
    { name: 'demo (9 tables)', text: planDiagram(demo).mermaid },
    { name: 'generated, 30 tables', text: renderErDiagram(generated, ids.slice(0, 30), { attributes: true, collapsePivots: false }).text },
    { name: 'generated, 100 tables', text: renderErDiagram(generated, ids, { attributes: true, collapsePivots: false }).text },
  ];
  const browser = await chromium.launch({ executablePath: requireChromium(), args: [...chromiumArgs, '--disable-dev-shm-usage'], headless: true });
  const context = await browser.newContext();
  // Files from node_modules only; nothing from the network.
  await context.route('http://relscope.local/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><html><head><meta charset="utf-8"></head><body><div id="out"></div></body></html>' });
    if (path === '/mermaid.min.js') return route.fulfill({ contentType: 'text/javascript', body: readFileSync(mermaidScript) });
    if (path.startsWith('/elk/')) return route.fulfill({ contentType: 'text/javascript', body: readFileSync(join(elkScriptDir, path.slice(5))) });
    return route.abort();
  });
  const results = new Map<string, { ms: number[]; m: Measured | null }>();
  const loadBefore = loadavg()[0]!;
  for (let run = 0; run < runs; run++) {
    for (const d of diagrams) {
      for (const layout of ['dagre', 'elk'] as const) {
        const page = await context.newPage();
        await page.goto('http://relscope.local/');
        await page.addScriptTag({ url: 'http://relscope.local/mermaid.min.js' });
        await page.addScriptTag({ type: 'module', content: "import elk from 'http://relscope.local/elk/mermaid-layout-elk.esm.min.mjs'; mermaid.registerLayoutLoaders(elk); window.elkReady = true;" });
        await page.waitForFunction(() => (window as unknown as { elkReady?: boolean }).elkReady === true);
        console.error(`run ${run + 1}: ${d.name}, ${layout}…`);
        let m: Measured;
        try {
          m = await measure(page, d.text, layout);
        } catch (error) {
          console.error(`  failed: ${(error as Error).message.split('\n')[0]}`);
          await page.close().catch(() => {});
          continue;
        }
        console.error(`  ${(m.ms / 1000).toFixed(2)} s, ${m.behind} of ${m.edges} edges behind a box`);
        await page.close();
        const key = `${d.name}\u0000${layout}`;
        const entry = results.get(key) ?? { ms: [], m: null };
        entry.ms.push(m.ms);
        if (entry.m && entry.m.pairs !== m.pairs) console.error(`${d.name} ${layout}: crossings differ between runs (${entry.m.pairs} vs ${m.pairs})`);
        entry.m ??= m;
        results.set(key, entry);
      }
    }
  }
  const loadAfter = loadavg()[0]!;
  await browser.close();
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
  const lines = [
    `Mermaid 12.3.0 erDiagram in headless Chromium, ${runs} runs per cell, dagre and ELK alternated; load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after. ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| diagram | layout | edges | edges behind a box not their end | (edge, box) pairs | render median (min-max) | picture |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const d of diagrams) {
    for (const layout of ['dagre', 'elk'] as const) {
      const r = results.get(`${d.name}\u0000${layout}`);
      if (!r) {
        lines.push(`| ${d.name} | ${layout} | | failed to render | | | |`);
        continue;
      }
      lines.push(`| ${d.name} | ${layout} | ${r.m!.edges} | ${r.m!.behind} | ${r.m!.pairs} | ${(median(r.ms) / 1000).toFixed(2)} s (${(Math.min(...r.ms) / 1000).toFixed(2)}-${(Math.max(...r.ms) / 1000).toFixed(2)}) | ${r.m!.width}x${r.m!.height} |`);
    }
  }
  const text = lines.join('\n');
  console.log(text);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/layout.md'), `${text}\n`);
}

void dirname;
await main();
