/**
 * The Schema view's side panel: the list of tables, one table's details, and the drift and
 * lint lists. A table's details are a list of sections (`tableSections`): another module adds
 * a section by pushing a function that returns its element (or null).
 */
import { cascadeSection, findingExtras } from './doctor.ts';
import { h, icon, mount, type Child } from '../dom.ts';
import type { Finding, SchemaModel } from '../api.ts';
import { errorBox, spinner } from '../ui.ts';
import { viewFrom } from '../../common/relations.ts';
import { singleColumnUniques } from '../../common/keys.ts';
import type { Table } from '../../common/schema-model.ts';
import { setParams } from '../route.ts';
import { shortName, type DiagramContext, type Params } from './diagram-params.ts';

export interface TableSectionInput {
  table: Table;
  schema: SchemaModel;
  /** This table's findings, each once (lint includes drift: a finding in both is shown as drift). */
  findings: (Finding & { kind: 'lint' | 'drift' })[];
  ctx: DiagramContext;
}

export type TableSection = (input: TableSectionInput) => Child;

/** Each finding once: lint's answer repeats drift's findings, so drift's copy wins. */
export function findingsOf(table: string, lint: Finding[], drift: Finding[] | null): (Finding & { kind: 'lint' | 'drift' })[] {
  const key = (f: Finding) => `${f.code}\u0000${f.table}\u0000${f.column ?? ''}\u0000${f.message}`;
  const driftHere = (drift ?? []).filter((f) => f.table === table);
  const seen = new Set(driftHere.map(key));
  const lintHere = lint.filter((f) => f.table === table && !seen.has(key(f)));
  return [...driftHere.map((f) => ({ ...f, kind: 'drift' as const })), ...lintHere.map((f) => ({ ...f, kind: 'lint' as const }))];
}

const findingsSection: TableSection = ({ findings }) => findings.length ? h('section', { 'data-testid': 'table-findings' }, h('h3', null, 'Findings'), h('ul', { class: 'findings compact' }, findings.map((f) => h('li', { class: `finding sev-${f.severity}` },
  h('span', { class: `sev-dot sev-${f.severity}` }),
  h('span', { class: 'finding-body' }, h('span', { class: 'finding-where' }, f.kind, f.column ? ` · ${f.column}` : '', h('code', { class: 'finding-code' }, f.code)), h('span', { class: 'finding-msg' }, f.message), findingExtras(f)))))) : null;

const columnsSection: TableSection = ({ table: t, schema }) => {
  const pk = new Set(t.primaryKey?.columns ?? []);
  const fkCols = new Map<string, string>();
  for (const fk of t.foreignKeys) fk.columns.forEach((c, i) => fkCols.set(c, `${fk.references}.${fk.referencedColumns[i] ?? ''}`));
  const uniqueCols = singleColumnUniques(t);
  return h('section', null,
    h('h3', null, 'Columns', h('span', { class: 'muted' }, ` ${t.columns.length}`)),
    h('table', { class: 'columns' }, h('tbody', null, t.columns.map((c) => h('tr', null,
      h('td', { class: 'col-name' }, h('span', { class: 'mono' }, c.name),
        pk.has(c.name) ? h('span', { class: 'key key-pk', title: 'Primary key' }, 'PK') : null,
        fkCols.has(c.name) ? h('span', { class: 'key key-fk', title: `References ${fkCols.get(c.name)}` }, 'FK') : null,
        uniqueCols.has(c.name) && !pk.has(c.name) ? h('span', { class: 'key key-uq', title: 'Unique' }, 'UQ') : null,
        c.property && c.property !== c.name ? h('div', { class: 'muted small' }, `property ${c.property}`) : null,
      ),
      h('td', { class: 'col-type' }, h('span', { class: 'mono', title: c.baseType ? `Domain over ${c.baseType}` : null }, c.type), c.nullable ? h('span', { class: 'muted small' }, ' null') : null,
        c.enum ? h('div', { class: 'muted small', title: (schema.enums.find((e) => e.id === c.enum || e.name === c.enum)?.values ?? []).join(', ') }, `enum ${c.enum}`) : null,
        c.default ? h('div', { class: 'muted small mono', title: 'Default' }, `= ${c.default}`) : null,
        c.generated ? h('div', { class: 'muted small' }, c.generated) : null,
      ),
    )))),
  );
};

const relationsSection: TableSection = ({ table, schema, ctx }) => {
  const id = table.id;
  const rels = schema.relations.filter((r) => r.from === id || r.to === id).map((r) => viewFrom(r, id));
  if (!rels.length) return null;
  return h('section', null,
    h('h3', null, 'Relations', h('span', { class: 'muted' }, ` ${rels.length}`)),
    schema.source === 'orm' && !rels.some((v) => v.relation.strategy)
      ? h('p', { class: 'muted small' }, 'No loading strategy is configured on these relations: queries use MikroORM’s default (balanced).') : null,
    h('ul', { class: 'relations' }, rels.map((v) => {
      const r = v.relation;
      const owner = r.from === id;
      const cascade = owner ? r.cascade : (r.inverseCascade ?? []);
      return h('li', { class: 'relation' },
        h('div', { class: 'rel-line' },
          h('span', { class: `kind kind-${v.kind.replace(':', '')}` }, v.kind),
          v.property || owner ? h('span', { class: 'mono' }, v.property ?? r.columns.join(', ')) : null,
          v.property || owner ? h('span', { class: 'muted' }, '→') : null,
          h('button', { class: 'link', onClick: () => ctx.jumpTo(v.other), title: `Open ${v.other}` }, shortName(v.other)),
          v.otherProperty ? h('span', { class: 'muted small mono' }, `.${v.otherProperty}`)
            : !owner && !v.property && r.kind !== 'm:n' ? h('span', { class: 'muted small mono', title: 'Foreign key columns on the other table' }, `(${r.columns.join(', ')})`) : null,
        ),
        h('div', { class: 'rel-meta' },
          h('span', { class: `tag ${owner ? 'tag-owner' : ''}`, title: owner ? 'This side holds the foreign key (or owns the pivot)' : 'Inverse side: the foreign key is on the other table' }, owner ? 'owner' : 'inverse'),
          r.via ? h('span', { class: 'tag', title: r.via.plainPivot ? 'Plain pivot table' : 'Association entity' }, `via ${shortName(r.via.table)}`) : null,
          r.onDelete ? h('span', { class: `tag ${r.onDelete === 'cascade' ? 'tag-warn' : ''}`, title: 'ON DELETE' }, `on delete ${r.onDelete}`) : null,
          cascade.length ? h('span', { class: 'tag', title: 'ORM cascade' }, `cascade ${cascade.join(', ')}`) : null,
          r.orphanRemoval ? h('span', { class: 'tag' }, 'orphan removal') : null,
          r.strategy ? h('span', { class: 'tag tag-accent', title: 'Loading strategy configured on this relation' }, `strategy ${r.strategy}`) : null,
          r.eager ? h('span', { class: 'tag tag-accent' }, 'eager') : null,
          r.nullable && owner && (r.kind === 'm:1' || r.kind === '1:1') ? h('span', { class: 'tag tag-muted' }, 'optional') : null,
        ),
      );
    })),
  );
};

const keysSection: TableSection = ({ table: t }) => (t.primaryKey || t.uniques.length) ? h('section', null,
  h('h3', null, 'Keys'),
  h('ul', { class: 'plain' },
    t.primaryKey ? h('li', null, h('span', { class: 'key key-pk' }, 'PK'), h('span', { class: 'mono' }, ` (${t.primaryKey.columns.join(', ')})`), t.primaryKey.name ? h('span', { class: 'muted small' }, ` ${t.primaryKey.name}`) : null) : null,
    t.uniques.map((u) => h('li', null, h('span', { class: 'key key-uq' }, 'UQ'), h('span', { class: 'mono' }, ` (${u.columns.join(', ')})`), u.name ? h('span', { class: 'muted small' }, ` ${u.name}`) : null)),
  ),
) : null;

const indexesSection: TableSection = ({ table: t }) => t.indexes.length ? h('section', null,
  h('h3', null, 'Indexes', h('span', { class: 'muted' }, ` ${t.indexes.length}`)),
  h('ul', { class: 'plain' }, t.indexes.map((i) => h('li', { class: 'index' },
    h('span', { class: 'mono' }, i.name ?? '(unnamed)'),
    h('div', { class: 'muted small' },
      h('span', { class: 'mono' }, `(${[...i.columns, ...i.expressions].join(', ')})`),
      i.primary ? ' · primary' : i.unique ? ' · unique' : '', i.method && i.method !== 'btree' ? ` · ${i.method}` : '', i.where ? ` · where ${i.where}` : '',
      t.exclusions?.some((x) => x.name === i.name) ? ' · exclusion constraint' : ''),
  ))),
) : null;

const checksSection: TableSection = ({ table: t }) => t.checks.length
  ? h('section', null, h('h3', null, 'Checks'), h('ul', { class: 'plain' }, t.checks.map((c) => h('li', null, h('span', { class: 'mono small' }, c.expression), c.name ? h('span', { class: 'muted small' }, ` ${c.name}`) : null))))
  : null;

const exclusionsSection: TableSection = ({ table: t }) => t.exclusions?.length
  ? h('section', null, h('h3', null, 'Exclusion constraints'), h('ul', { class: 'plain' }, t.exclusions.map((x) => h('li', null, h('span', { class: 'mono small' }, x.definition), h('span', { class: 'muted small' }, ` ${x.name}`)))))
  : null;

/** The sections of a table's details, in order. Add one with `tableSections.push(fn)`. */
export const tableSections: TableSection[] = [findingsSection, columnsSection, relationsSection, keysSection, indexesSection, checksSection, exclusionsSection, ({ table }) => cascadeSection(table)];

export interface Panel {
  element: HTMLElement;
  open(): boolean;
  render(): void;
  /** The Tables button: open the list, or close whatever is open. */
  toggle(): void;
  want(open: boolean): void;
}

export function createPanel(ctx: DiagramContext, onToggled: (open: boolean) => void): Panel {
  const element = h('aside', { class: 'side-panel', id: 'side-panel', 'aria-label': 'Details', 'data-testid': 'side-panel' });
  let wanted = false;
  /** The tab and table the panel showed last (its scroll position is kept while they stay). */
  let lastShown = '';
  const open = () => wanted || !!ctx.params().table || ctx.params().tab !== 'table';

  const findingsList = (findings: Finding[] | null, error: string | null, empty: string, kind: string): HTMLElement => {
    if (error) return errorBox(`The ${kind} check failed`, error);
    if (findings === null) return spinner(`Checking ${kind}…`);
    if (!findings.length) return h('div', { class: 'empty-small' }, empty);
    return h('ul', { class: 'findings', 'data-testid': `${kind}-list` }, findings.map((f) => h('li', null,
      h('button', { class: `finding sev-${f.severity}`, disabled: !f.table, onClick: () => f.table && (ctx.isDrawn(f.table) ? ctx.jumpTo(f.table) : setParams({ table: f.table, tab: null })) },
        h('span', { class: `sev-dot sev-${f.severity}`, title: f.severity }),
        h('span', { class: 'finding-body' },
          h('span', { class: 'finding-where' }, f.table ? shortName(f.table) : 'schema', f.column ? `.${f.column}` : '', h('code', { class: 'finding-code' }, f.code)),
          h('span', { class: 'finding-msg' }, f.message),
        ),
      ), findingExtras(f))));
  };

  const driftContent = (): HTMLElement => {
    const basis = ctx.driftBasis();
    if (ctx.driftOff()) {
      return h('div', { class: 'drift-off', 'data-testid': 'drift-off' },
        h('p', null, h('b', null, 'Drift is off: '), 'relscope found no MikroORM config, so it has no model of yours to compare this database with.'),
        h('p', { class: 'muted small' }, 'Run relscope in your project’s folder (or pass --config) to compare your entities with the database.'),
        h('button', { class: 'btn btn-sm', 'data-testid': 'drift-enable', onClick: () => ctx.setDrift(true) }, 'Compare with relscope’s demo model anyway'));
    }
    const list = findingsList(ctx.drift(), ctx.driftError(), 'No drift: the ORM model and the database agree.', 'drift');
    if (basis?.model !== 'demo') return list;
    return h('div', null, h('div', { class: 'drift-basis small', 'data-testid': 'drift-basis' },
      h('span', null, 'Compared with relscope’s built-in ', h('b', null, 'demo model'), ', not with entities of yours.'),
      h('button', { class: 'btn btn-sm', 'data-testid': 'drift-dismiss', onClick: () => ctx.setDrift(false) }, 'Turn drift off')), list);
  };

  const tableList = (): HTMLElement => {
    const schema = ctx.schema();
    if (!schema) return spinner('Loading the schema…');
    return h('div', { class: 'table-list' },
      h('p', { class: 'muted small' }, `${schema.tables.length} tables from ${schema.source === 'orm' ? 'the ORM metadata' : 'the database'} (${schema.origin}). Click a table in the diagram or below.`),
      h('ul', null, schema.tables.map((t) => h('li', null, h('button', { class: 'list-button', onClick: () => ctx.jumpTo(t.id) },
        icon('table', 14), h('span', null, t.id), t.entity ? h('span', { class: 'muted small' }, t.entity) : null,
        ctx.isDrawn(t.id) || !ctx.hasPicture() ? null : h('span', { class: 'badge' }, 'not drawn'))))),
    );
  };

  const tableDetails = (id: string): HTMLElement => {
    const schema = ctx.schema();
    if (!schema) return spinner('Loading the schema…');
    const params = ctx.params();
    const t = schema.tables.find((x) => x.id === id);
    if (!t) {
      return h('div', null,
        errorBox(`No table ${id}`, `The ${params.source === 'orm' ? 'ORM model' : 'database'} has no table ${id}.${params.source === 'orm' ? ' Switch to the database source to see it.' : ' Switch to the ORM source to see it.'}`),
        h('button', { class: 'btn btn-sm', style: 'margin-top:10px', onClick: () => ctx.showTableList() }, 'Show all tables'));
    }
    const input: TableSectionInput = { table: t, schema, findings: findingsOf(id, ctx.lint(), ctx.driftOff() ? [] : ctx.drift()), ctx };
    const focusHere = h('button', { class: 'btn btn-sm', 'data-testid': 'focus-table', title: `Draw ${id} with its neighbours`, onClick: () => setParams({ focus: id, table: id }) }, icon('focus', 14), params.focus === id ? 'Focused' : 'Focus');
    return h('div', { class: 'table-details', 'data-testid': 'table-details', 'data-table': id },
      h('div', { class: 'details-head' },
        h('div', null,
          h('h2', null, t.name),
          h('div', { class: 'muted small' }, t.schema, ' · ', t.kind, t.entity ? ` · entity ${t.entity}` : '', t.isPivot ? ' · pivot table' : ''),
        ),
        h('div', { class: 'details-actions' }, focusHere,
          h('button', { class: 'btn btn-ghost btn-icon', 'aria-label': 'Close table details', onClick: () => ctx.selectTable(null) }, icon('close'))),
      ),
      t.comment ? h('p', { class: 'small' }, t.comment) : null,
      tableSections.map((section) => section(input)),
    );
  };

  const render = () => {
    // The panel is drawn again whenever lint, drift or the diagram arrive. What the user is in
    // the middle of survives it: the focus (and caret) of an element kept across draws (the
    // delete preview's id field lost the focus mid-word: building the new content moves it out
    // of the document, so this is read first) and, for the same table and tab, the scroll.
    const focused = document.activeElement instanceof HTMLElement && element.contains(document.activeElement) ? document.activeElement : null;
    const caret = focused instanceof HTMLInputElement ? [focused.selectionStart, focused.selectionEnd] as const : null;
    const oldScrollTop = element.querySelector('.panel-body')?.scrollTop ?? 0;
    const isOpen = open();
    onToggled(isOpen);
    element.hidden = !isOpen;
    if (!isOpen) return;
    const params = ctx.params();
    const drift = ctx.driftOff() ? undefined : ctx.drift()?.length;
    const tabs: { id: Params['tab']; label: string; count?: number }[] = [
      { id: 'table', label: params.table ? 'Table' : 'Tables' },
      { id: 'drift', label: 'Drift', count: drift },
      { id: 'lint', label: 'Lint', count: ctx.lintLoaded() ? ctx.lint().length : undefined },
    ];
    const tabBar = h('div', { class: 'tabs panel-tabs', role: 'tablist', 'aria-label': 'Panel' },
      tabs.map((t) => h('button', { class: 'tab', role: 'tab', 'aria-selected': String(params.tab === t.id), 'data-testid': `panel-tab-${t.id}`, onClick: () => setParams({ tab: t.id === 'table' ? null : t.id }, { replace: true }) },
        t.label, t.count !== undefined ? h('span', { class: 'tab-count' }, String(t.count)) : null)));
    let content: Child;
    if (params.tab === 'drift') content = driftContent();
    else if (params.tab === 'lint') content = ctx.lintLoaded() ? findingsList(ctx.lint(), null, 'No lint findings.', 'lint') : spinner('Reading lint findings…');
    else if (params.table) content = tableDetails(params.table);
    else content = tableList();
    const shown = `${params.tab}\u0000${params.table ?? ''}`;
    const scrollTop = shown === lastShown ? oldScrollTop : 0;
    lastShown = shown;
    const body = h('div', { class: 'panel-body' }, content);
    mount(element, h('div', { class: 'panel-head' }, tabBar,
      h('button', { class: 'btn btn-ghost btn-icon panel-close', 'aria-label': 'Close the panel', 'data-testid': 'panel-close', onClick: () => { wanted = false; setParams({ table: null, tab: null }, { replace: true }); render(); } }, icon('close'))),
    body);
    if (scrollTop) body.scrollTop = scrollTop;
    if (focused?.isConnected && document.activeElement !== focused) {
      focused.focus({ preventScroll: true });
      if (caret && focused instanceof HTMLInputElement && caret[0] !== null && caret[1] !== null) focused.setSelectionRange(caret[0], caret[1]);
    }
  };

  return {
    element,
    open,
    render,
    want(value) {
      wanted = value;
      render();
    },
    toggle() {
      if (open()) {
        wanted = false;
        const params = ctx.params();
        if (params.table || params.tab !== 'table') setParams({ table: null, tab: null }, { replace: true });
        else render();
      } else {
        wanted = true;
        render();
      }
    },
  };
}
