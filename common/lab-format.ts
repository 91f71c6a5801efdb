/**
 * Text renderings of a CompareReport for the CLI: a table readable in an 80-column terminal,
 * and Markdown (for issues and pull requests). JSON is the report itself.
 */
import type { CompareReport, ExplainResult, PlanNodeSummary, RelationCost, StatementGroup, StrategyResult } from './lab-types.ts';

const width = 80;

function num(n: number): string {
  return n.toLocaleString('en-US');
}

export function ms(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined) return '-';
  const d = digits ?? (value >= 100 ? 0 : value >= 10 ? 1 : 2);
  return value.toFixed(d);
}

function kib(bytes: number): string {
  return bytes >= 10 * 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)}M` : bytes >= 1024 ? `${Math.round(bytes / 1024)}` : `${(bytes / 1024).toFixed(1)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Word-wraps `text` to `max` columns, continuation lines indented. */
export function wrap(text: string, max = width, indent = '', firstIndent = indent): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const word of words) {
    const candidate = empty ? line + word : `${line} ${word}`;
    if (candidate.length > max && !empty) {
      lines.push(line);
      line = indent + word;
    } else {
      line = candidate;
    }
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines.map((l) => (l.length > max ? clip(l, max) : l));
}

/** "1 run per strategy" or "runs per strategy: select 1, joined 5" — the real counts, never the requested one. */
export function runsLine(report: CompareReport): string {
  const counts = report.strategies.map((s) => ({ strategy: s.strategy, runs: s.runs?.measured ?? s.wallMs.runs.length, status: s.status }));
  const measured = counts.filter((c) => c.status !== 'error');
  if (measured.length === 0) return 'no strategy was measured';
  const distinct = [...new Set(measured.map((c) => c.runs))];
  if (distinct.length === 1) return `${distinct[0]} measured run${distinct[0] === 1 ? '' : 's'} per strategy`;
  return `measured runs per strategy: ${measured.map((c) => `${c.strategy} ${c.runs}`).join(', ')}`;
}

/** What the report says about the graphs, in one sentence shared by the table, Markdown and the page. */
export function correctnessLine(report: CompareReport): string {
  const c = report.correctness;
  const unchecked = c.unchecked ?? [];
  const skipped = new Set(unchecked.map((u) => u.strategy));
  const checked = report.strategies.map((s) => s.strategy).filter((s) => !skipped.has(s) && !c.differences.some((d) => d.strategy === s));
  const notChecked = unchecked.map((u) => `${u.strategy} was not checked (${u.reason})`).join('; ');
  if (c.differences.length) return `GRAPHS DIFFER from ${c.reference}${notChecked ? `; ${notChecked}` : ''}.`;
  if (!c.reference) return `No graph to check: ${notChecked || 'no strategy completed'}.`;
  if (checked.length >= 2 && unchecked.length === 0) {
    const ref = report.strategies.find((s) => s.strategy === c.reference);
    const types = ref ? Object.entries(ref.entitiesByType).map(([t, n]) => `${t} ${num(n)}`).join(', ') : '';
    return `every strategy hydrated the same graph${ref ? ` (${num(ref.entities)} entities: ${types})` : ''}.`;
  }
  if (checked.length >= 2) return `${checked.join(', ')} hydrated the same graph; ${notChecked}.`;
  return `${notChecked}.`;
}

function dupText(s: StrategyResult): string {
  return (s.duplication ?? []).map((d) => `${d.entity} ${num(d.rows)} rows${d.entities !== null ? `/${num(d.entities)}` : ''}${d.factor !== null ? ` ${d.upperBound ? '≤' : ''}${d.factor}×` : ''}`).join(', ');
}

function relationText(c: RelationCost): string {
  const name = c.path === '' ? 'roots' : c.path;
  if (c.joinedInto !== undefined && c.statements === 0) return `${name}: joined into ${c.joinedInto === '' ? 'the roots query' : c.joinedInto}`;
  return `${name}: ${num(c.statements)} stmt, ${num(c.rows)} rows, ${kib(c.bytesReceived)} KiB, ${ms(c.ms)} ms`;
}

function commandLine(report: CompareReport): string {
  const r = report.request;
  const parts = [`relscope compare ${r.entity}`];
  if (r.populate.length) parts.push(`--populate ${r.populate.join(',')}`);
  if (Object.keys(r.where).length) parts.push(`--where '${JSON.stringify(r.where)}'`);
  if (!r.orderByDefaulted) parts.push(`--order-by '${JSON.stringify(r.orderBy.length === 1 ? r.orderBy[0] : r.orderBy)}'`);
  parts.push(`--limit ${r.limit}`);
  if (r.offset) parts.push(`--offset ${r.offset}`);
  return parts.join(' ');
}

function planLine(node: PlanNodeSummary, analyzed: boolean): string {
  const rows = analyzed && node.rowsActual !== undefined ? `${num(Math.round(node.rowsEstimated))}→${num(Math.round(node.rowsActual))} rows` : `~${num(Math.round(node.rowsEstimated))} rows`;
  const loops = node.loops !== undefined && node.loops > 1 ? ` ×${num(node.loops)}` : '';
  const time = node.exclusiveMs !== undefined ? ` ${ms(node.exclusiveMs)} ms` : ` cost ${node.totalCost.toFixed(0)}`;
  // A large factor on a node that stops early is not a misestimate: marked, with the reason in the JSON.
  const flag = node.flags.includes('seq-scan-on-fk') ? ' !fk' : node.flags.includes('misestimate') ? ` !${node.misestimateFactor}×` : node.misestimateExempt ? ' (stops early)' : '';
  return `${rows}${loops}${time}${flag}`;
}

/** The plan as an indented tree: label on the left, rows/time on the right, one line per node. */
export function planTree(explain: ExplainResult, indent: string, maxWidth = width, maxNodes = 14): string[] {
  if (!explain.plan) return [];
  const analyzed = explain.status === 'analyzed';
  const lines: string[] = [];
  let shown = 0;
  let hidden = 0;
  const walk = (node: PlanNodeSummary, depth: number) => {
    if (shown >= maxNodes) {
      hidden++;
      node.children.forEach((c) => walk(c, depth + 1));
      return;
    }
    shown++;
    const right = planLine(node, analyzed);
    const prefix = `${indent}${depth ? `${'  '.repeat(depth - 1)}└ ` : ''}`;
    const star = node.flags.includes('slowest') && analyzed ? '*' : '';
    const room = Math.max(10, maxWidth - prefix.length - right.length - 2);
    lines.push(`${prefix}${clip(star + node.label, room).padEnd(room)}  ${right}`);
    node.children.forEach((c) => walk(c, depth + 1));
  };
  walk(explain.plan, 0);
  if (hidden) lines.push(`${indent}… ${hidden} more node${hidden === 1 ? '' : 's'} (see --format json)`);
  return lines;
}

function explainHeadline(e: ExplainResult): string {
  switch (e.status) {
    case 'analyzed': return `plan: ${ms(e.executionMs)} ms exec, ${ms(e.planningMs)} ms planning${e.buffers ? `, buffers ${num(e.buffers.sharedHit)} hit / ${num(e.buffers.sharedRead)} read` : ''}`;
    case 'estimated': return `plan (estimates only): ${e.error ?? ''}`;
    case 'timed-out': return `plan TIMED OUT: ${e.error ?? `after ${e.timeout?.ms} ms`}`;
    case 'refused': return `plan REFUSED: ${e.error ?? ''}`;
    case 'error': return `plan ERROR: ${e.error ?? ''}`;
    case 'skipped': return 'plan: not explained (--no-explain)';
  }
}

/** Wide enough for the longest strategy id, as-configured; the row stays within 80 columns. */
const strategyColumn = 13;

function strategyRow(s: StrategyResult): string {
  const server = s.serverMs === null ? '-' : `${ms(s.serverMs)}${s.serverMsEstimated ? '*' : ''}`;
  if (s.status === 'error') return `${s.strategy.padEnd(strategyColumn)} ${clip(`error: ${(s.error ?? '').split('\n')[0]}`, width - strategyColumn - 1)}`;
  const capped = s.status === 'capped';
  const ge = capped ? '≥' : '';
  return [
    s.strategy.padEnd(strategyColumn),
    String(s.runs?.measured ?? s.wallMs.runs.length).padStart(4),
    `${ge}${num(s.roundTrips)}`.padStart(6),
    `${ge}${ms(s.wallMs.median)}`.padStart(7),
    `${ms(s.wallMs.min)}-${ms(s.wallMs.max)}`.padStart(11),
    server.padStart(6),
    `${ge}${num(s.rows)}`.padStart(7),
    (capped ? '-' : num(s.entities)).padStart(6),
    (capped ? '-' : s.duplicationFactor.toFixed(1)).padStart(5),
    kib(s.bytesReceived).padStart(6),
  ].join(' ');
}

function groupHeader(g: StatementGroup): string {
  const where = g.path === undefined ? '' : g.path === '' ? '  roots' : `  ${g.path}`;
  return `  ${g.id.padEnd(4)}×${num(g.count).padEnd(6)}${ms(g.totalMs).padStart(8)} ms ${num(g.rows).padStart(7)} rows${where}`;
}

/** The table format: readable in 80 columns. */
export function formatTable(report: CompareReport, options: { sqlLines?: number } = {}): string {
  const out: string[] = [];
  const r = report.request;
  out.push(...wrap(commandLine(report), width, '    '));
  const db = report.database.display.includes(report.database.serverVersion) ? report.database.display : `${report.database.display} (PostgreSQL ${report.database.serverVersion})`;
  out.push(...wrap(`${db}; ${runsLine(report)} after a warm-up; took ${(report.timing.totalMs / 1000).toFixed(1)} s`, width));
  out.push('');
  out.push(`${'strategy'.padEnd(strategyColumn)} ${'runs'.padStart(4)} ${'trips'.padStart(6)} ${'median'.padStart(7)} ${'min-max'.padStart(11)} ${'server'.padStart(6)} ${'rows'.padStart(7)} ${'entity'.padStart(6)} ${'dup'.padStart(5)} ${'KiB'.padStart(6)}`);
  out.push(`${''.padEnd(strategyColumn)} ${''.padStart(4)} ${''.padStart(6)} ${'ms'.padStart(7)} ${'ms'.padStart(11)} ${'ms'.padStart(6)}`);
  for (const s of report.strategies) out.push(strategyRow(s));
  const cappedNote = report.strategies.some((s) => s.status === 'capped') ? ' ≥: capped, stopped early (see its notes): counts and times are lower bounds, never ranked.' : '';
  out.push(...wrap(`runs: measured runs; trips: statements (round trips); median/min-max: end-to-end load time; server: execution time from EXPLAIN ANALYZE (* estimated from one plan per statement group); dup: the most repeated entity type's rows per reference (1.0 = none repeated); KiB: received on the wire.${cappedNote}`, width, '  ', '  '));
  out.push('');
  out.push(...wrap(`Verdict: ${report.verdict.sentence}`, width, '  '));
  const c = report.correctness;
  out.push(...wrap(`Correctness: ${correctnessLine(report)}`, width, '  '));
  for (const d of c.differences) out.push(...wrap(`- ${d.strategy} vs ${d.reference}${d.path ? ` at ${d.path}` : ''}: ${d.message}`, width, '    '));

  const sqlLines = options.sqlLines ?? 2;
  for (const s of report.strategies) {
    out.push('');
    const title = `── ${s.strategy}: ${num(s.roundTrips)} statement${s.roundTrips === 1 ? '' : 's'} in ${s.groups.length} group${s.groups.length === 1 ? '' : 's'} `;
    out.push(title.padEnd(width, '─'));
    for (const note of s.notes) out.push(...wrap(note, width, '  ', '  '));
    if (s.error) out.push(...wrap(`error: ${s.error.split('\n')[0]}`, width, '  ', '  '));
    if (s.duplication?.length) out.push(...wrap(`rows per entity type (rows/distinct, rows per reference; ≤: via a LEFT JOIN, an upper bound): ${dupText(s)}; ${kib(s.bytesReceived)} KiB received${s.bytesDistinct ? ` against ${kib(s.bytesDistinct)} KiB of distinct rows (as select-in received them)` : ''}.`, width, '    ', '  '));
    if (s.relations?.length) out.push(...wrap(`by relation: ${s.relations.map(relationText).join('; ')}.`, width, '    ', '  '));
    for (const g of s.groups) {
      out.push(groupHeader(g));
      const sql = g.sql.replace(/\s+/g, ' ');
      const chunks: string[] = [];
      for (let i = 0; i < sql.length && chunks.length < sqlLines; i += width - 8) chunks.push(sql.slice(i, i + width - 8));
      if (chunks.length * (width - 8) < sql.length) chunks[chunks.length - 1] = clip(chunks[chunks.length - 1]! + sql.slice(chunks.length * (width - 8)), width - 8);
      chunks.forEach((chunk) => out.push(`      ${chunk}`));
      out.push(...wrap(explainHeadline(g.explain), width, '        ', '      '));
      out.push(...planTree(g.explain, '        '));
    }
  }

  if (report.sweep) {
    const sw = report.sweep;
    out.push('');
    out.push(`── scaling sweep: round trips / median ms per page size (${sw.repeat} run${sw.repeat === 1 ? '' : 's'} each) `.padEnd(width, '─'));
    const cell = Math.min(17, Math.floor((width - strategyColumn - 1) / Math.max(sw.pageSizes.length, 1)));
    out.push(`${'strategy'.padEnd(strategyColumn + 1)}${sw.pageSizes.map((p) => `limit ${p}`.padStart(cell)).join('')}`);
    for (const line of sw.series) {
      out.push(`${line.strategy.padEnd(strategyColumn + 1)}${line.points.map((p) => clip(p.status === 'error' ? 'error' : `${num(p.roundTrips)}${p.status === 'capped' ? '+' : ''}/${ms(p.wallMs)}`, cell - 1).padStart(cell)).join('')}`);
    }
    const roots = sw.series[0]?.points.map((p) => p.roots) ?? [];
    if (roots.some((n, i) => n < sw.pageSizes[i]!)) out.push(...wrap(`roots actually loaded: ${roots.map(num).join(', ')} (the table has fewer rows than the page size)`, width, '  ', '  '));
    if (sw.series.some((l) => l.points.some((p) => p.status === 'capped'))) out.push('  +: capped, stopped early (see notes): a lower bound');
    out.push(`  sweep took ${(sw.tookMs / 1000).toFixed(1)} s`);
  }

  if (report.advice.length) {
    out.push('');
    out.push('── advice '.padEnd(width, '─'));
    for (const a of report.advice) out.push(...wrap(`${a.severity === 'info' ? '-' : a.severity === 'error' ? '!!' : '!'} ${a.message}`, width, '    ', ''));
  }
  if (report.notes.length) {
    out.push('');
    out.push('── notes '.padEnd(width, '─'));
    for (const n of report.notes) out.push(...wrap(`- ${n}`, width, '  ', ''));
  }
  const t = report.timing;
  out.push('');
  out.push(...wrap(`Time: ${ms(t.totalMs / 1000, 1)} s total = loads ${ms(t.loadsMs / 1000, 1)} s (statements ${ms(t.statementsMs / 1000, 2)} s) + ${num(t.statementsExplained)} EXPLAINs ${ms(t.explainMs / 1000, 2)} s + relscope ${ms(t.overheadMs / 1000, 2)} s.`, width));
  return out.join('\n');
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The markdown format: tables and code blocks, plans included. */
export function formatMarkdown(report: CompareReport): string {
  const out: string[] = [];
  const r = report.request;
  out.push(`## relscope compare ${r.entity}${r.populate.length ? ` (${r.populate.join(', ')})` : ''}`);
  out.push('');
  const db = report.database.display.includes(report.database.serverVersion) ? report.database.display : `${report.database.display} (PostgreSQL ${report.database.serverVersion})`;
  out.push(`\`${commandLine(report)}\` on ${db}; ${runsLine(report)} after a warm-up.`);
  out.push('');
  out.push('| strategy | runs | round trips | median ms | min–max ms | server ms | planning ms | rows | entities | dup | KiB | buffers hit/read |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of report.strategies) {
    if (s.status === 'error') {
      out.push(`| ${s.strategy} | 0 | error: ${mdEscape((s.error ?? '').split('\n')[0]!)} ||||||||||`);
      continue;
    }
    const ge = s.status === 'capped' ? '≥ ' : '';
    out.push(`| ${s.strategy}${s.status === 'capped' ? ' (capped, not ranked)' : ''} | ${s.runs?.measured ?? s.wallMs.runs.length} | ${ge}${num(s.roundTrips)} | ${ge}${ms(s.wallMs.median)} | ${ms(s.wallMs.min)}–${ms(s.wallMs.max)} | ${s.serverMs === null ? '–' : ms(s.serverMs)}${s.serverMsEstimated ? '*' : ''} | ${s.planningMs === null ? '–' : ms(s.planningMs)} | ${ge}${num(s.rows)} | ${num(s.entities)} | ${s.duplicationFactor.toFixed(2)} | ${kib(s.bytesReceived)} | ${s.buffers ? `${num(s.buffers.sharedHit)}/${num(s.buffers.sharedRead)}` : '–'} |`);
  }
  out.push('');
  out.push('\\* estimated: one plan per group of statements that differ only in values, times its count. dup: the most repeated entity type\'s rows per reference (1 = none repeated). ≥: capped, a lower bound.');
  out.push('');
  out.push(`**Verdict:** ${report.verdict.sentence}`);
  out.push('');
  out.push(`**Correctness:** ${correctnessLine(report)}`);
  if (report.correctness.differences.length) out.push(`\n${report.correctness.differences.map((d) => `- ${d.strategy} vs ${d.reference}${d.path ? ` at \`${d.path}\`` : ''}: ${d.message}`).join('\n')}`);
  const withTypes = report.strategies.filter((s) => s.duplication?.length);
  if (withTypes.length) {
    out.push('');
    out.push('### Duplication per entity type');
    out.push('');
    out.push('Rows received that carry each type, against distinct entities and references (an m:n child is referenced once per parent); ≤: via a LEFT JOIN, an upper bound.');
    out.push('');
    out.push('| strategy | rows / distinct, rows per reference | KiB received | KiB of distinct rows (select-in) |');
    out.push('|---|---|---:|---:|');
    for (const s of withTypes) out.push(`| ${s.strategy} | ${mdEscape(dupText(s))} | ${kib(s.bytesReceived)} | ${s.bytesDistinct ? kib(s.bytesDistinct) : '–'} |`);
  }
  const withRelations = report.strategies.filter((s) => s.relations?.length);
  if (withRelations.length) {
    out.push('');
    out.push('### Cost per relation');
    out.push('');
    out.push('| strategy | path | statements | rows | KiB | ms | how attributed |');
    out.push('|---|---|---:|---:|---:|---:|---|');
    for (const s of withRelations) {
      for (const c of s.relations!) {
        const joinedIn = c.joinedInto !== undefined && c.statements === 0;
        out.push(`| ${s.strategy} | ${c.path === '' ? 'roots' : `\`${c.path}\``} | ${joinedIn ? `joined into ${c.joinedInto === '' ? 'roots' : `\`${c.joinedInto}\``}` : num(c.statements)} | ${joinedIn ? '–' : num(c.rows)} | ${joinedIn ? '–' : kib(c.bytesReceived)} | ${joinedIn ? '–' : ms(c.ms)} | ${c.attributedBy} |`);
      }
    }
  }
  if (report.advice.length) {
    out.push('');
    out.push('### Advice');
    out.push('');
    for (const a of report.advice) out.push(`- ${a.severity === 'info' ? '' : `**${a.severity}:** `}${a.message}`);
  }
  if (report.sweep) {
    const sw = report.sweep;
    out.push('');
    out.push(`### Scaling sweep (round trips / median ms, ${sw.repeat} run${sw.repeat === 1 ? '' : 's'} each)`);
    out.push('');
    out.push(`| strategy | ${sw.pageSizes.map((p) => `limit ${p}`).join(' | ')} |`);
    out.push(`|---|${sw.pageSizes.map(() => '---:').join('|')}|`);
    for (const line of sw.series) out.push(`| ${line.strategy} | ${line.points.map((p) => (p.status === 'error' ? 'error' : `${num(p.roundTrips)}${p.status === 'capped' ? '+' : ''} / ${ms(p.wallMs)}`)).join(' | ')} |`);
  }
  for (const s of report.strategies) {
    out.push('');
    out.push(`### ${s.strategy}: ${num(s.roundTrips)} statements in ${s.groups.length} groups`);
    out.push('');
    for (const note of s.notes) out.push(`> ${note}\n`);
    for (const g of s.groups) {
      out.push(`**${g.id}** ×${num(g.count)}, ${ms(g.totalMs)} ms, ${num(g.rows)} rows${g.path !== undefined ? `, ${g.path === '' ? 'roots' : `\`${g.path}\``}` : ''}: ${explainHeadline(g.explain)}`);
      out.push('');
      out.push('```sql');
      out.push(g.sql);
      out.push('```');
      const tree = planTree(g.explain, '', 110, 40);
      if (tree.length) {
        out.push('```');
        out.push(...tree);
        out.push('```');
      }
      out.push('');
    }
  }
  if (report.notes.length) {
    out.push('### Notes');
    out.push('');
    for (const n of report.notes) out.push(`- ${n}`);
  }
  return out.join('\n');
}
