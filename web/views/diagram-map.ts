/**
 * A large schema's map: every table as a box in HTML, grouped by database schema; a click
 * opens the table in focus mode. Drawing "everything anyway" says beforehand how many tables
 * that is and what it costs.
 */
import { h, icon } from '../dom.ts';
import type { Finding, SchemaModel } from '../api.ts';
import type { Table } from '../../common/schema-model.ts';
import { setParams } from '../route.ts';
import { costOf } from './diagram-scope.ts';
import type { Params } from './diagram-params.ts';

/** Above this many tables an overview is drawn as a map of boxes in HTML instead of a diagram. */
export const mapThreshold = 60;

export function schemaMap(model: SchemaModel, params: Params, drift: Finding[] | null): HTMLElement {
  const tables = model.tables;
  const degree = new Map<string, number>();
  for (const r of model.relations) {
    degree.set(r.from, (degree.get(r.from) ?? 0) + 1);
    degree.set(r.to, (degree.get(r.to) ?? 0) + 1);
  }
  const groups = new Map<string, Table[]>();
  for (const t of tables) {
    const list = groups.get(t.schema);
    if (list) list.push(t);
    else groups.set(t.schema, [t]);
  }
  const driftTables = new Set((drift ?? []).map((f) => f.table));
  const total = tables.length;
  const all = costOf(total);
  return h('div', { class: 'map', 'data-testid': 'schema-map' },
    h('div', { class: 'map-intro' },
      h('p', null, h('b', null, `${total} tables`), ' are more than one readable diagram holds. Pick a table to draw it with its neighbours (focus), search above, or draw one schema at a time.'),
      h('button', { class: 'btn btn-sm', 'data-testid': 'draw-all', title: 'Laid out in the background; the page stays responsive and you can cancel', onClick: () => setParams({ full: '1' }) },
        `Draw all ${total} tables (${all.label})`),
    ),
    [...groups].map(([schemaName, list]) => h('section', { class: 'map-group' },
      h('div', { class: 'map-group-head' },
        h('h3', null, schemaName, h('span', { class: 'muted' }, ` · ${list.length} tables`)),
        groups.size > 1 ? h('button', { class: 'btn btn-sm btn-ghost', 'data-schema': schemaName, title: `Draw the ${list.length} tables of ${schemaName} (${costOf(list.length).label})`, onClick: () => setParams({ schema: schemaName }) }, icon('focus', 14), `Draw schema ${schemaName}`) : null,
      ),
      h('div', { class: 'map-grid' }, list.map((t) => h('button', {
          class: `map-table${driftTables.has(t.id) ? ' has-drift' : ''}${params.table === t.id ? ' is-selected' : ''}`, 'data-table': t.id,
          title: `${t.id}: ${t.columns.length} columns, ${degree.get(t.id) ?? 0} relations. Click to draw it with its neighbours.`,
          onClick: () => setParams({ focus: t.id, table: t.id, depth: params.depth > 1 ? params.depth : null }),
        },
        h('span', { class: 'map-name' }, t.name),
        h('span', { class: 'map-meta muted' }, `${t.columns.length} col · ${degree.get(t.id) ?? 0} rel`),
      ))),
    )),
  );
}
