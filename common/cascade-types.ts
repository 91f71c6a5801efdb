/**
 * The cascade preview: what deleting one row would remove or null, and who does it (the ORM's
 * remove cascade / orphan removal, or the database's ON DELETE). Browser-safe: types and
 * formatters shared by the CLI, the API and the page.
 */
import type { ReferentialAction } from './schema-model.ts';

export type CascadeAction = 'delete' | 'set null' | 'set default' | 'blocks';
/** Who acts on a row: the database's FK action, the ORM's cascade (loaded entities only), both, or nobody. */
export type CascadeActor = 'database' | 'orm' | 'both' | 'nobody';

export interface CascadeNode {
  /** Table id ("public.posts") and its entity, when the ORM maps it. */
  table: string;
  entity: string | null;
  /** How this table is reached from its parent node: the FK columns on this table. Null for the root. */
  via: {
    parent: string;
    columns: string[];
    /** The ORM property holding the FK (owning side) and the parent's inverse property, when declared. */
    property: string | null;
    inverseProperty: string | null;
  } | null;
  action: CascadeAction;
  /** Rows of this table that reference the parent's deleted rows through `via` (exact COUNT). */
  rows: number;
  /** The FK's ON DELETE rule in the database. */
  database: ReferentialAction | null;
  /** What the ORM does to these rows on em.remove() of the parent (loaded entities only). */
  orm: 'remove' | 'set null' | 'none' | null;
  by: CascadeActor;
  /** The ORM and the database disagree here: one sentence, else null. */
  disagreement: string | null;
  children: CascadeNode[];
  /** This table's deletions are expanded at an earlier node (each table is expanded once). */
  expandedAbove?: boolean;
  /**
   * Table-per-type inheritance (MikroORM `inheritance: 'tpt'`): 'parent' is the previewed
   * entity's row in a parent entity's table, which em.remove() deletes with it (MikroORM deletes
   * a TPT entity from its hierarchy's root table, and the child tables' keys cascade); 'child'
   * is the same entity's row in a child entity's table, reached by the child's primary key
   * (an FK to this table's). Absent otherwise.
   */
  tpt?: 'parent' | 'child';
}

/** The previewed entity extends others by table-per-type: where em.remove()'s DELETE starts. */
export interface CascadeTpt {
  /** The hierarchy's root table, which MikroORM deletes from, and its entity. */
  table: string;
  entity: string;
  /** The row's key in that table. */
  key: Record<string, string>;
  /** The entity's table, then each TPT parent's, up to the root. */
  chain: string[];
}

export interface CascadeTotal {
  table: string;
  entity: string | null;
  /** Distinct rows a DELETE of the root would delete in this table (database rules). */
  deleted: number;
  /** Rows whose FK the database would set to NULL / its default (and not delete). */
  nulled: number;
}

export interface CascadeReport {
  entity: string;
  table: string;
  /** The root row's primary key, column -> value as given. */
  key: Record<string, string>;
  /**
   * Set when the entity is a TPT child: the counts start at this row of the hierarchy's root
   * table (em.remove() deletes there), so the totals include the parent rows and what they
   * take with them. Null otherwise.
   */
  tpt: CascadeTpt | null;
  root: CascadeNode;
  totals: CascadeTotal[];
  /** A plain DELETE would fail: rows that reference deleted rows through RESTRICT / NO ACTION FKs, or SET NULL ones on NOT NULL columns. */
  blocked: { table: string; columns: string[]; references: string; rows: number; rule: ReferentialAction }[];
  disagreements: number;
  /** How the numbers were obtained. */
  method: string;
  /** Parts not counted (e.g. a cascade cycle between tables), each one sentence. */
  notCounted: string[];
  tookMs: number;
}

const actorLabel: Record<CascadeActor, string> = { database: 'database', orm: 'ORM', both: 'ORM + database', nobody: 'nobody' };

function nodeLines(node: CascadeNode, depth: number, out: string[], markdown: boolean): void {
  const pad = markdown ? `${'  '.repeat(depth)}- ` : `${'  '.repeat(depth)}${depth ? '└ ' : ''}`;
  const name = `${node.table}${node.entity ? ` (${node.entity})` : ''}`;
  const via = node.tpt === 'parent' ? ` as its TPT parent row (${node.via!.columns.join(', ')})`
    : node.via ? ` via ${node.via.columns.join(', ')}${node.via.inverseProperty ? ` [${node.via.inverseProperty}]` : ''}${node.tpt === 'child' ? ' [TPT child row]' : ''}` : '';
  const what = node.action === 'blocks' ? `blocks the delete: ${node.rows} row${node.rows === 1 ? '' : 's'}` : `${node.action} ${node.rows} row${node.rows === 1 ? '' : 's'}`;
  const who = node.tpt === 'parent' ? ` by ${actorLabel[node.by]} (em.remove() deletes a TPT entity from its root table)`
    : node.via ? ` by ${actorLabel[node.by]} (db: ${node.database ?? '-'}, orm: ${node.orm ?? '-'})` : '';
  const mark = node.disagreement ? ` ${markdown ? '**⚠ disagree:**' : '! DISAGREE:'} ${node.disagreement}` : '';
  out.push(`${pad}${markdown ? `\`${name}\`` : name}${via}: ${what}${who}${node.expandedAbove ? ' (its cascades are listed above)' : ''}${mark}`);
  for (const child of node.children) nodeLines(child, depth + 1, out, markdown);
}

const keyText = (key: Record<string, string>) => Object.entries(key).map(([k, v]) => `${k}=${v}`).join(', ');

/** What a blocking row references: "it", or for a TPT child's preview the table named when it is not the entity's own. */
export function blockedTarget(report: CascadeReport, references: string): string {
  return report.tpt && references !== report.table ? references : 'it';
}

/** One sentence on where a TPT child's delete starts, or null. */
export function tptSentence(report: CascadeReport): string | null {
  const t = report.tpt;
  if (!t) return null;
  return `${report.entity} extends ${t.entity} by table-per-type (${t.chain.join(' → ')}): MikroORM's em.remove() deletes the ${t.table} row (${keyText(t.key)}) and the child tables' keys cascade, so the counts start there.`;
}

/** Plain text for a terminal. */
export function formatCascadeText(report: CascadeReport): string {
  const out: string[] = [`Deleting ${report.entity} ${Object.entries(report.key).map(([k, v]) => `${k}=${v}`).join(', ')} (${report.table}) would:`, ''];
  const tpt = tptSentence(report);
  if (tpt) out.push(tpt, '');
  nodeLines(report.root, 0, out, false);
  const start = report.tpt ? ` of ${report.tpt.table}` : '';
  out.push('', report.blocked.length ? `Totals (what a DELETE${start} would reach, were it not refused; see below):` : `Totals (a DELETE${start} under the database's rules):`);
  for (const t of report.totals) out.push(`  ${t.table.padEnd(32)} ${String(t.deleted).padStart(8)} deleted${t.nulled ? `, ${t.nulled} set to null` : ''}`);
  if (report.blocked.length) {
    out.push('', 'A plain DELETE would fail:');
    for (const b of report.blocked) out.push(`  ${b.rows} row(s) of ${b.table}(${b.columns.join(', ')}) reference ${blockedTarget(report, b.references)} (ON DELETE ${b.rule.toUpperCase()}${b.rule === 'set null' ? ' on a NOT NULL column' : ''})`);
  }
  out.push('', `${report.disagreements} point${report.disagreements === 1 ? '' : 's'} where the ORM and the database disagree.`);
  for (const n of report.notCounted) out.push(`Not counted: ${n}`);
  out.push(`${report.method} (${Math.round(report.tookMs)} ms). Nothing was deleted.`);
  return `${out.join('\n')}\n`;
}

export function formatCascadeMarkdown(report: CascadeReport): string {
  const out: string[] = [`### Deleting ${report.entity} ${Object.entries(report.key).map(([k, v]) => `${k}=${v}`).join(', ')}`, ''];
  const tpt = tptSentence(report);
  if (tpt) out.push(tpt, '');
  nodeLines(report.root, 0, out, true);
  const start = report.tpt ? ` of \`${report.tpt.table}\`` : '';
  out.push('', report.blocked.length ? `What a DELETE${start} would reach, were it not refused (below):` : `What a DELETE${start} removes under the database's rules:`, '', '| table | deleted | set null |', '|---|---:|---:|');
  for (const t of report.totals) out.push(`| \`${t.table}\` | ${t.deleted} | ${t.nulled} |`);
  if (report.blocked.length) {
    out.push('', '**A plain DELETE would fail:**');
    for (const b of report.blocked) out.push(`- ${b.rows} row(s) of \`${b.table}\`(${b.columns.join(', ')}) reference ${blockedTarget(report, b.references)} (ON DELETE ${b.rule.toUpperCase()})`);
  }
  out.push('', `${report.disagreements} disagreement${report.disagreements === 1 ? '' : 's'} between the ORM and the database. ${report.method}. Nothing was deleted.`);
  for (const n of report.notCounted) out.push('', `Not counted: ${n}`);
  return `${out.join('\n')}\n`;
}
