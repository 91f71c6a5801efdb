/**
 * The relationship doctor in the side panel: a finding's why and fix (lint list and table
 * details), and the "What would a delete remove?" cascade preview of a table's row.
 * Hooked into the diagram view with a few calls, so the view itself stays as it is.
 */
import { h, mount, type Child } from '../dom.ts';
import { errorBox, spinner, copyText } from '../ui.ts';
import { api, type Finding, type Table } from '../api.ts';
import { blockedTarget, tptSentence, type CascadeNode, type CascadeReport } from '../../common/cascade-types.ts';

/** Why and fix of a relationship finding, folded; nothing for other findings. */
export function findingExtras(f: Finding): Child {
  if (!f.why && !f.fix) return null;
  return h('details', { class: 'doctor-extra', 'data-testid': 'finding-extra' },
    h('summary', null, f.fix ? 'Why, and the fix' : 'Why'),
    f.why ? h('p', { class: 'doctor-why' }, f.why) : null,
    f.fix ? h('div', { class: 'doctor-fix' },
      h('pre', { class: 'mono' }, f.fix),
      h('button', { class: 'btn btn-sm', type: 'button', onClick: () => void copyText(f.fix!, 'Fix') }, 'Copy fix')) : null,
  );
}

const actor: Record<CascadeNode['by'], string> = { database: 'database', orm: 'ORM', both: 'ORM + database', nobody: 'nobody' };
const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

function nodeView(node: CascadeNode): HTMLElement {
  const what = node.action === 'blocks' ? `blocks: ${plural(node.rows, 'row')}` : `${node.action} ${plural(node.rows, 'row')}`;
  return h('li', { class: `cascade-node${node.disagreement ? ' cascade-disagree' : ''}`, 'data-table': node.table },
    h('div', { class: 'cascade-line' },
      h('span', { class: 'mono' }, node.table.replace(/^public\./, '')),
      node.tpt === 'parent' ? h('span', { class: 'muted small', title: 'em.remove() deletes a table-per-type entity from its root table' }, `TPT parent row (${node.via!.columns.join(', ')})`)
        : node.via ? h('span', { class: 'muted small mono' }, `via ${node.via.columns.join(', ')}${node.via.inverseProperty ? ` · ${node.via.inverseProperty}` : ''}${node.tpt === 'child' ? ' · TPT child row' : ''}`) : null,
      h('span', { class: `tag ${node.action === 'delete' ? 'tag-warn' : node.action === 'blocks' ? 'tag-bad' : ''}` }, what),
      node.tpt === 'parent' ? h('span', { class: 'tag', title: 'MikroORM deletes a TPT entity from its root table; the child tables\' keys cascade' }, `by ${actor[node.by]}`)
        : node.via ? h('span', { class: 'tag', title: `database ON DELETE ${node.database ?? '-'}; ORM on em.remove(): ${node.orm ?? '-'} (loaded entities only)` }, `by ${actor[node.by]}`) : null,
      node.expandedAbove ? h('span', { class: 'muted small' }, 'its cascades are above') : null,
    ),
    node.disagreement ? h('div', { class: 'cascade-warning', role: 'note' }, '⚠ ORM and database disagree: ', node.disagreement) : null,
    node.children.length ? h('ul', { class: 'cascade-tree' }, node.children.map(nodeView)) : null,
  );
}

export function cascadeReportView(report: CascadeReport): HTMLElement {
  const tpt = tptSentence(report);
  return h('div', { class: 'cascade-report', 'data-testid': 'cascade-report' },
    tpt ? h('p', { class: 'muted small', 'data-testid': 'cascade-tpt' }, tpt) : null,
    h('ul', { class: 'cascade-tree cascade-root' }, nodeView(report.root)),
    h('table', { class: 'columns cascade-totals' },
      h('thead', null, h('tr', null, h('th', null, 'table'), h('th', null, 'deleted'), h('th', null, 'set null'))),
      h('tbody', null, report.totals.map((t) => h('tr', null, h('td', { class: 'mono' }, t.table), h('td', null, t.deleted.toLocaleString('en')), h('td', null, t.nulled ? t.nulled.toLocaleString('en') : ''))))),
    report.blocked.length ? h('div', { class: 'cascade-warning' }, 'A plain DELETE would fail: ',
      report.blocked.map((b) => `${plural(b.rows, 'row')} of ${b.table}(${b.columns.join(', ')}) reference ${blockedTarget(report, b.references)} (ON DELETE ${b.rule.toUpperCase()}${b.rule === 'set null' ? ' on NOT NULL' : ''})`).join('; ')) : null,
    h('p', { class: 'muted small' },
      `${plural(report.disagreements, 'disagreement')} between the ORM and the database. ${report.method}; ${Math.round(report.tookMs)} ms. Nothing was deleted.`),
    report.notCounted.map((n) => h('p', { class: 'muted small' }, `Not counted: ${n}`)),
  );
}

/** The side panel's cascade section for a table an entity maps. */
/**
 * The panel re-renders a table's details whenever lint or drift answers arrive; the preview's
 * form and result are kept per table so that a key typed, or a preview shown, survives that.
 */
const keptSections = new Map<string, HTMLElement>();

export function cascadeSection(table: Table): HTMLElement | null {
  if (table.kind !== 'table') return null;
  // Said, not left out: a reader looking for the preview learns why this table has none.
  if (!table.entity) {
    return h('section', { class: 'cascade-section', 'data-testid': 'cascade-section' },
      h('h3', null, 'Delete preview'),
      h('p', { class: 'muted small', 'data-testid': 'cascade-unavailable' }, 'No MikroORM entity maps this table, so there is no delete preview: it starts from an entity\'s key and follows the ORM\'s cascades as well as the database\'s ON DELETE rules. The relations above show each foreign key\'s ON DELETE rule.'));
  }
  const key = `${table.id}\u0000${table.entity}`;
  const kept = keptSections.get(key);
  if (kept) return kept;
  const made = buildCascadeSection(table, table.entity);
  keptSections.set(key, made);
  if (keptSections.size > 20) keptSections.delete(keptSections.keys().next().value!);
  return made;
}

function buildCascadeSection(table: Table, entity: string): HTMLElement {
  const pk = table.primaryKey?.columns ?? [];
  const result = h('div', { class: 'cascade-result', 'aria-live': 'polite' });
  const input = h('input', {
    class: 'input mono', type: 'text', 'aria-label': `${entity} primary key`, 'data-testid': 'cascade-id',
    placeholder: pk.length > 1 ? pk.map((c) => `${c}=…`).join(',') : `${pk[0] ?? 'id'}`,
  });
  let controller: AbortController | null = null;
  const run = async () => {
    controller?.abort();
    controller = new AbortController();
    mount(result, spinner('Counting what a delete would reach (read-only)…'));
    try {
      mount(result, cascadeReportView(await api.cascade(entity, input.value, controller.signal)));
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      mount(result, errorBox('No preview', (error as Error).message));
    }
  };
  const form = h('form', { class: 'cascade-form', onSubmit: (e: Event) => { e.preventDefault(); void run(); } },
    input,
    h('button', { class: 'btn btn-sm', type: 'submit', 'data-testid': 'cascade-run' }, 'What would a delete remove?'));
  return h('section', { class: 'cascade-section', 'data-testid': 'cascade-section' },
    h('h3', null, 'Delete preview'),
    h('p', { class: 'muted small' }, `Give a ${entity} key: relscope counts the rows the database's ON DELETE rules and the ORM's cascades would remove or null. Read-only; nothing is deleted.`),
    form,
    result,
  );
}
