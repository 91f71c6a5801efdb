/**
 * The ER diagram: Mermaid from /api/diagram, with pan and zoom, a table search, a side
 * panel per table, focus on a table's neighbourhood, drift and lint findings, and exports.
 * A schema too large for one readable diagram opens on a map of its tables (no Mermaid),
 * from which each table opens in focus mode.
 */
import { h, icon, mount, type Child } from '../dom.ts';
import { api, ApiError, type DiagramResponse, type Finding, type SchemaModel, type SchemaSource } from '../api.ts';
import { setParams, type Route } from '../route.ts';
import { currentTheme, onThemeChange } from '../theme.ts';
import { errorBox, segmented, spinner, menuButton, download, copyText } from '../ui.ts';
import { panZoom, type PanZoom } from '../panzoom.ts';
import { hasCachedDiagrams, isCached, loadMermaid, renderDiagram, renderForExport } from '../mermaid.ts';
import { viewFrom } from '../../common/relations.ts';
import { isDrift } from '../../common/findings.ts';
import type { Table } from '../../common/schema-model.ts';
import type { ViewInstance } from '../main.ts';
import { cascadeSection, findingExtras } from './doctor.ts';

/** Above this many tables an overview is drawn as a map of boxes in HTML instead of Mermaid. */
export const mapThreshold = 60;

interface Params {
  source: SchemaSource;
  focus: string | null;
  depth: number;
  table: string | null;
  tab: 'table' | 'drift' | 'lint';
  /** '1': draw the whole schema even when it is large. */
  full: boolean;
  /** Draw only this database schema (a large database's per-schema overview). */
  schema: string | null;
}

function readParams(p: URLSearchParams): Params {
  const depth = Number(p.get('depth'));
  const tab = p.get('tab');
  return {
    source: p.get('source') === 'db' ? 'db' : 'orm',
    focus: p.get('focus') || null,
    depth: Number.isInteger(depth) && depth >= 1 && depth <= 5 ? depth : 1,
    table: p.get('table') || null,
    tab: tab === 'drift' || tab === 'lint' ? tab : 'table',
    full: p.get('full') === '1',
    schema: p.get('schema') || null,
  };
}

const diagramKey = (p: Params) => `${p.source}|${p.focus ?? ''}|${p.focus ? p.depth : ''}|${p.full}|${p.focus ? '' : (p.schema ?? '')}`;

const severityOrder: Record<string, number> = { error: 0, warning: 1, info: 2 };
const bySeverity = (a: Finding, b: Finding) => (severityOrder[a.severity] ?? 3) - (severityOrder[b.severity] ?? 3) || String(a.table).localeCompare(String(b.table));

export function diagramView(container: HTMLElement): ViewInstance {
  let params: Params = readParams(new URLSearchParams(location.search));
  let loadedKey: string | null = null;
  let seq = 0;
  const schemas = new Map<SchemaSource, Promise<SchemaModel>>();
  const lints = new Map<SchemaSource, Promise<Finding[]>>();
  let schema: SchemaModel | null = null;
  let lint: Finding[] = [];
  let drift: Finding[] | null = null;
  let driftError: string | null = null;
  let driftRequested = false;
  let diagram: DiagramResponse | null = null;
  let svg: SVGSVGElement | null = null;
  let pz: PanZoom | null = null;
  const nodeByTable = new Map<string, SVGGElement>();
  let destroyed = false;

  // ---- Layout ----
  const sourceSwitch = h('div', { class: 'toolbar-group' });
  const searchWrap = h('div', { class: 'search' });
  const focusChip = h('div', { class: 'focus-chip-host' });
  const driftButton = h('button', { class: 'btn', 'data-testid': 'drift-button', onClick: () => setParams({ tab: params.tab === 'drift' ? null : 'drift' }, { replace: true }) }, icon('warn', 15), 'Drift');
  const exportHost = h('div');
  // The side panel opens for a selected table, the drift or lint list, or on request.
  let panelWanted = false;
  const panelButton = h('button', { class: 'btn', 'data-testid': 'panel-toggle', 'aria-controls': 'side-panel', onClick: () => {
    if (panelOpen()) {
      panelWanted = false;
      if (params.table || params.tab !== 'table') setParams({ table: null, tab: null }, { replace: true });
      else renderPanel();
    } else {
      panelWanted = true;
      renderPanel();
    }
  } }, icon('table', 15), 'Tables');
  const panelOpen = () => panelWanted || !!params.table || params.tab !== 'table';
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Diagram options' }, sourceSwitch, searchWrap, focusChip, h('div', { class: 'spacer' }), panelButton, driftButton, exportHost);
  const viewport = h('div', { class: 'canvas', tabindex: '0', 'aria-label': 'Diagram. Arrow keys pan, plus and minus zoom, 0 fits.', 'data-testid': 'diagram-canvas' });
  const status = h('div', { class: 'canvas-status muted small', role: 'status' });
  const zoomLabel = h('span', { class: 'zoom-label' }, '100%');
  const zoomControls = h('div', { class: 'zoom-controls' },
    h('button', { class: 'btn btn-icon', 'aria-label': 'Zoom in', title: 'Zoom in (+)', onClick: () => pz?.zoomBy(1.25) }, icon('plus')),
    zoomLabel,
    h('button', { class: 'btn btn-icon', 'aria-label': 'Zoom out', title: 'Zoom out (−)', onClick: () => pz?.zoomBy(0.8) }, icon('minus')),
    h('button', { class: 'btn btn-icon', 'aria-label': 'Fit to view', title: 'Fit (0)', onClick: () => pz?.fit() }, icon('fit')),
  );
  const canvasWrap = h('div', { class: 'canvas-wrap' }, viewport, zoomControls, status);
  // A click on the empty canvas clears the selection.
  viewport.addEventListener('click', (e) => {
    if (svg && params.table && !(e.target as Element).closest('g.rs-table')) selectTable(null);
  });
  const panel = h('aside', { class: 'side-panel', id: 'side-panel', 'aria-label': 'Details', 'data-testid': 'side-panel' });
  const body = h('div', { class: 'diagram-body' }, canvasWrap, panel);
  mount(container, h('div', { class: 'diagram-view' }, toolbar, body));

  // ---- Data ----
  const schemaFor = (source: SchemaSource) => {
    let p = schemas.get(source);
    if (!p) {
      p = api.schema(source);
      p.catch(() => schemas.delete(source));
      schemas.set(source, p);
    }
    return p;
  };
  const lintFor = (source: SchemaSource) => {
    let p = lints.get(source);
    if (!p) {
      p = api.lint(source).catch(() => [] as Finding[]);
      lints.set(source, p);
    }
    return p;
  };
  const loadDrift = () => {
    api.drift().then((f) => {
      drift = f.filter(isDrift).sort(bySeverity); // missing-FK-index advice is lint, not drift
      driftError = null;
    }, (error: Error) => {
      drift = [];
      driftError = error.message;
    }).finally(() => {
      if (destroyed) return;
      renderDriftButton();
      decorate();
      renderPanel();
    });
  };

  // ---- Toolbar pieces ----
  const renderSourceSwitch = () => {
    mount(sourceSwitch, segmented('source', 'Schema source', [
      { value: 'orm', label: 'ORM', title: 'The schema as the MikroORM entities define it' },
      { value: 'db', label: 'Database', title: 'The schema as the database catalogs show it' },
    ], params.source, (value) => setParams({ source: value === 'orm' ? null : value, full: null })));
  };

  const renderDriftButton = () => {
    const n = drift?.length ?? 0;
    driftButton.replaceChildren(icon('warn', 15), 'Drift', h('span', { class: `count-pill ${n ? 'count-warn' : ''}` }, drift === null ? '…' : String(n)));
    driftButton.setAttribute('aria-pressed', String(params.tab === 'drift'));
    driftButton.title = driftError ? `Drift could not be computed: ${driftError}` : n ? `${n} differences between the ORM model and the database` : 'The ORM model and the database agree';
  };

  const renderFocusChip = () => {
    if (!params.focus && params.schema) {
      mount(focusChip, h('div', { class: 'focus-chip', 'data-testid': 'schema-chip' },
        icon('table', 14), h('span', null, 'Schema '), h('b', null, params.schema),
        h('button', { class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': 'Show all schemas', title: 'Back to the whole database', onClick: () => setParams({ schema: null }) }, icon('close', 14)),
      ));
      return;
    }
    if (!params.focus && params.full) {
      mount(focusChip, h('div', { class: 'focus-chip', 'data-testid': 'full-chip' },
        icon('table', 14), h('span', null, 'Whole schema drawn'),
        h('button', { class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': 'Back to the map of tables', title: 'Back to the map of tables', onClick: () => setParams({ full: null }) }, icon('close', 14)),
      ));
      return;
    }
    if (!params.focus) {
      mount(focusChip);
      return;
    }
    const depthSelect = h('select', { 'aria-label': 'Focus depth (hops)', 'data-testid': 'focus-depth', onChange: (e: Event) => setParams({ depth: (e.target as HTMLSelectElement).value }) },
      [1, 2, 3, 4].map((d) => h('option', { value: d, selected: d === params.depth }, `${d} hop${d > 1 ? 's' : ''}`)));
    mount(focusChip, h('div', { class: 'focus-chip', 'data-testid': 'focus-chip' },
      icon('focus', 14), h('span', null, 'Focus '), h('b', null, shortName(params.focus)), depthSelect,
      h('button', { class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': 'Leave focus mode', title: 'Show the whole schema', onClick: () => setParams({ focus: null, depth: null }) }, icon('close', 14)),
    ));
  };

  const renderSearch = () => {
    const input = h('input', { type: 'search', placeholder: 'Jump to table…  /', 'aria-label': 'Search tables', role: 'combobox', 'aria-expanded': 'false', 'aria-controls': 'search-list', 'aria-autocomplete': 'list', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'table-search' });
    const list = h('ul', { class: 'search-list', id: 'search-list', role: 'listbox', hidden: true });
    let matches: Table[] = [];
    let active = 0;
    const close = () => {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
    };
    const choose = (t: Table | undefined) => {
      if (!t) return;
      input.value = '';
      close();
      jumpTo(t.id);
    };
    const refresh = () => {
      const q = input.value.trim().toLowerCase();
      const tables = schema?.tables ?? [];
      matches = !q ? [] : tables
        .map((t) => ({ t, score: scoreMatch(t, q) }))
        .filter((m) => m.score > 0)
        .sort((a, b) => b.score - a.score || a.t.id.localeCompare(b.t.id))
        .slice(0, 12)
        .map((m) => m.t);
      active = 0;
      list.replaceChildren(...matches.map((t, i) => h('li', { role: 'option', id: `search-opt-${i}`, 'aria-selected': String(i === active), onMousedown: (e: Event) => { e.preventDefault(); choose(t); } },
        h('span', { class: 'search-name' }, t.name), h('span', { class: 'muted small' }, t.schema !== 'public' ? t.schema : '', t.entity ? ` ${t.entity}` : ''),
        nodeByTable.has(t.id) ? null : h('span', { class: 'badge' }, 'focus'))));
      if (q && matches.length === 0) list.replaceChildren(h('li', { class: 'muted', role: 'option', 'aria-disabled': 'true' }, 'No table matches'));
      list.hidden = !q;
      input.setAttribute('aria-expanded', String(!list.hidden));
      input.setAttribute('aria-activedescendant', matches.length ? `search-opt-${active}` : '');
    };
    input.addEventListener('input', refresh);
    input.addEventListener('blur', () => setTimeout(close, 100));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (!matches.length) return;
        active = (active + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
        [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
        input.setAttribute('aria-activedescendant', `search-opt-${active}`);
      } else if (e.key === 'Enter') {
        e.preventDefault();
        choose(matches[active]);
      } else if (e.key === 'Escape') {
        input.value = '';
        close();
      }
    });
    mount(searchWrap, icon('search', 15), input, list);
  };

  const renderExport = () => {
    const name = () => `relscope-${params.source}${params.focus ? `-${shortName(params.focus)}` : ''}`;
    const needDiagram = () => {
      if (!diagram) throw new Error('The diagram has not loaded yet.');
      return diagram;
    };
    // The CLI's own Markdown renderer (`relscope export --format markdown`), loaded on demand.
    const markdown = async () => {
      const [{ renderMarkdown }, model] = await Promise.all([import('../../server/render/markdown.ts'), schemaFor(params.source)]);
      return renderMarkdown(model, { focus: params.focus, depth: params.depth, drift: drift ?? null });
    };
    mount(exportHost, menuButton([icon('download', 15), 'Export'], [
      { label: 'SVG', icon: 'download', testid: 'export-svg', action: async () => download(`${name()}.svg`, await renderForExport(needDiagram().mermaid, needDiagram().layout), 'image/svg+xml') },
      { label: 'PNG', icon: 'download', testid: 'export-png', action: async () => download(`${name()}.png`, await svgToPng(await renderForExport(needDiagram().mermaid, needDiagram().layout))) },
      { label: 'Mermaid source', icon: 'download', testid: 'export-mermaid', action: () => download(`${name()}.mmd`, needDiagram().mermaid) },
      { label: 'Markdown', icon: 'download', testid: 'export-markdown', action: async () => download(`${name()}.md`, await markdown(), 'text/markdown;charset=utf-8') },
      { label: 'Copy Mermaid source', icon: 'copy', testid: 'copy-mermaid', action: () => copyText(needDiagram().mermaid, 'Mermaid source') },
      { label: 'Copy Markdown', icon: 'copy', action: async () => copyText(await markdown(), 'Markdown') },
      { label: 'Copy link to this view', icon: 'link', testid: 'copy-link', action: () => copyText(location.href, 'link') },
    ], { title: 'Export the diagram', testid: 'diagram-export' }));
  };

  // ---- Diagram ----
  const setStatus = (...children: Child[]) => mount(status, ...children);
  let drawnFromCache = false;

  const loadDiagram = async () => {
    const my = ++seq;
    const key = diagramKey(params);
    loadedKey = key;
    pz?.destroy();
    pz = null;
    svg = null;
    nodeByTable.clear();
    diagram = null;
    container.dataset.state = 'loading';
    drawnFromCache = false;
    zoomControls.hidden = true;
    mount(viewport, spinner('Loading the diagram…'));
    setStatus();
    const t0 = performance.now();
    const p = { ...params };
    // On a first visit, fetch Mermaid while the diagram's data is on its way; later visits
    // usually draw from the cache and need no Mermaid at all.
    if (!hasCachedDiagrams()) loadMermaid().catch(() => {});
    schemaFor(p.source).then((m) => {
      if (my !== seq) return;
      schema = m;
      renderPanel();
    }, () => {});
    // Drift and lint read both models: asked for once the view is drawn, so that on the
    // embedded database (one connection) they do not queue ahead of the diagram.
    const afterwards = () => {
      if (my !== seq) return;
      if (drift === null && !driftRequested) {
        driftRequested = true;
        loadDrift();
      }
      lintFor(p.source).then((f) => {
        if (my !== seq) return;
        lint = f.sort(bySeverity);
        renderPanel();
        decorate();
      });
    };
    try {
      // The whole schema: let the server choose between the full diagram and an overview.
      const response = await api.diagram({ source: p.source, focus: p.focus, depth: p.depth, schema: p.focus ? null : p.schema });
      if (my !== seq) return;
      diagram = response;
      const asMap = !p.focus && !p.full && !p.schema && response.tables.length + response.omitted > mapThreshold;
      if (asMap) {
        await renderMap(my);
      } else {
        const theme = currentTheme();
        if (!isCached(response.mermaid, theme, response.layout)) {
          mount(viewport, spinner(response.tables.length > 40 ? `Drawing ${response.tables.length} tables…` : 'Drawing…'));
          // Let the spinner paint before Mermaid blocks the main thread.
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        }
        const { svg: el, cached } = await renderDiagram(response.mermaid, theme, response.layout);
        if (my !== seq) return;
        window.__relscope.diagramCached = cached;
        drawnFromCache = cached;
        mount(viewport, el);
        svg = el;
        zoomControls.hidden = false;
        pz = panZoom(viewport, el, (k) => { zoomLabel.textContent = `${Math.round(k * 100)}%`; });
        indexNodes();
        decorate();
        const selected = params.table ? nodeByTable.get(params.table) : undefined;
        if (selected && !inView(selected)) pz.centerOn(selected, pz.scale());
      }
      const ms = performance.now() - t0;
      const total = response.tables.length + response.omitted;
      setStatus(
        asMap ? h('span', null, `${total} tables · map`) : h('span', null, `${response.tables.length} table${response.tables.length === 1 ? '' : 's'}`),
        !asMap && response.overview ? h('span', { class: 'badge', title: 'Tables drawn with their names only' }, 'overview') : null,
        !asMap && response.truncated ? h('span', { class: 'badge badge-warn', title: `${response.omitted} of ${total} tables are not drawn; focus on a table to see its neighbourhood` }, `partial: ${response.tables.length} of ${total}`) : null,
        h('span', { title: drawnFromCache ? 'Drawn earlier with the same text and configuration, taken from this browser’s cache' : '' }, ` · ${Math.round(ms)} ms${drawnFromCache ? ' (cached)' : ''}`),
      );
      container.dataset.state = 'ready';
      window.__relscope.readyAt = performance.now();
      window.__relscope.diagramMs = ms;
      window.__relscope.diagramTables = response.tables.length;
      performance.mark('relscope:diagram-ready');
      renderPanel();
      afterwards();
    } catch (error) {
      if (my !== seq) return;
      container.dataset.state = 'error';
      afterwards();
      const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
      mount(viewport, h('div', { class: 'canvas-message' }, errorBox(p.focus ? `Could not draw the neighbourhood of ${p.focus}` : 'Could not draw the diagram', message, () => void loadDiagram())));
    }
  };

  /** A large schema's map: every table as a box, grouped by schema; a click opens focus mode. */
  const renderMap = async (my: number) => {
    const model = await schemaFor(params.source).catch(() => null);
    if (my !== seq) return;
    const tables = model?.tables ?? diagram!.tables.map((id) => ({ id, schema: id.split('.')[0]!, name: id.split('.').slice(1).join('.'), columns: [], foreignKeys: [] }) as unknown as Table);
    const degree = new Map<string, number>();
    for (const r of model?.relations ?? []) {
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
    mount(viewport, h('div', { class: 'map', 'data-testid': 'schema-map' },
      h('div', { class: 'map-intro' },
        h('p', null, h('b', null, `${total} tables`), ' are more than one readable diagram holds. Pick a table to draw it with its neighbours (focus), search above, or draw one schema at a time.'),
        h('button', { class: 'btn btn-sm', title: `Mermaid needs several seconds for this many tables, with the page frozen meanwhile`, onClick: () => setParams({ full: '1' }) }, `Draw ${diagram!.overview ? `an overview of ${diagram!.tables.length}${diagram!.truncated ? ' best-connected' : ''} tables` : 'everything'} anyway`),
      ),
      [...groups].map(([schemaName, list]) => h('section', { class: 'map-group' },
        h('div', { class: 'map-group-head' },
          h('h3', null, schemaName, h('span', { class: 'muted' }, ` · ${list.length} tables`)),
          groups.size > 1 ? h('button', { class: 'btn btn-sm btn-ghost', 'data-schema': schemaName, title: list.length > 100 ? `Names only, the best-connected tables first: Mermaid needs a few seconds for this many` : '', onClick: () => setParams({ schema: schemaName }) }, icon('focus', 14), `Draw schema ${schemaName}`) : null,
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
    ));
  };

  const inView = (el: Element) => {
    const r = el.getBoundingClientRect();
    const v = viewport.getBoundingClientRect();
    return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
  };

  const aliasOf = (nodeId: string): string | null => {
    const m = /-entity-(.+)-\d+$/.exec(nodeId);
    return m ? m[1]! : null;
  };

  const indexNodes = () => {
    if (!svg || !diagram) return;
    for (const node of svg.querySelectorAll<SVGGElement>('g.node')) {
      const alias = aliasOf(node.id);
      const table = alias ? (diagram.aliases[alias] ?? null) : null;
      if (!table) continue;
      nodeByTable.set(table, node);
      node.dataset.table = table;
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      node.setAttribute('aria-label', `Table ${table}`);
      node.classList.add('rs-table');
      node.addEventListener('click', () => selectTable(table));
      node.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          selectTable(table);
        }
      });
    }
    // Edges carry both entity ids; tag them so a selection can highlight its relations.
    for (const edge of svg.querySelectorAll<SVGElement>('[data-id^="id_entity-"]')) {
      const m = /^id_entity-(.+?)-\d+_entity-(.+?)-\d+_\d+$/.exec(edge.dataset.id ?? '');
      if (!m) continue;
      edge.dataset.from = diagram.aliases[m[1]!] ?? '';
      edge.dataset.to = diagram.aliases[m[2]!] ?? '';
    }
  };

  /** Selection, drift and lint markers on the drawn diagram. */
  const decorate = () => {
    if (!svg) {
      for (const el of viewport.querySelectorAll<HTMLElement>('.map-table')) {
        el.classList.toggle('is-selected', el.dataset.table === params.table);
        el.classList.toggle('has-drift', (drift ?? []).some((f) => f.table === el.dataset.table));
      }
      return;
    }
    const driftBy = countBy(drift ?? []);
    const worst = new Map<string, string>();
    for (const f of drift ?? []) {
      if (!f.table) continue;
      const had = worst.get(f.table);
      if (!had || (severityOrder[f.severity] ?? 3) < (severityOrder[had] ?? 3)) worst.set(f.table, f.severity);
    }
    for (const [table, node] of nodeByTable) {
      node.classList.toggle('is-selected', table === params.table);
      node.querySelector('.rs-badge')?.remove();
      const nDrift = driftBy.get(table) ?? 0;
      node.classList.toggle('has-drift', nDrift > 0);
      if (nDrift > 0) {
        const box = node.getBBox();
        const badge = document.createElementNS('http://www.w3.org/2000/svg', 'g');
        badge.setAttribute('class', `rs-badge sev-${worst.get(table) ?? 'warning'}`);
        badge.setAttribute('transform', `translate(${box.x + box.width - 2}, ${box.y + 2})`);
        const circle = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
        circle.setAttribute('r', '10');
        const text = document.createElementNS('http://www.w3.org/2000/svg', 'text');
        text.setAttribute('text-anchor', 'middle');
        text.setAttribute('dy', '4');
        text.textContent = String(nDrift);
        const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
        title.textContent = `${nDrift} drift finding${nDrift > 1 ? 's' : ''}`;
        badge.append(title, circle, text);
        node.appendChild(badge);
      }
    }
    svg.classList.toggle('has-selection', !!params.table && nodeByTable.has(params.table));
    for (const edge of svg.querySelectorAll<SVGElement>('[data-from]')) {
      edge.classList.toggle('is-related', !!params.table && (edge.dataset.from === params.table || edge.dataset.to === params.table));
    }
    const neighbours = new Set<string>();
    if (params.table) {
      for (const edge of svg.querySelectorAll<SVGElement>('[data-from]')) {
        if (edge.dataset.from === params.table) neighbours.add(edge.dataset.to ?? '');
        if (edge.dataset.to === params.table) neighbours.add(edge.dataset.from ?? '');
      }
    }
    for (const [table, node] of nodeByTable) node.classList.toggle('is-neighbour', neighbours.has(table));
  };

  const selectTable = (table: string | null) => {
    setParams({ table, tab: null }, { replace: true });
  };

  const jumpTo = (table: string) => {
    const node = nodeByTable.get(table);
    if (node && pz) {
      pz.centerOn(node, Math.max(pz.scale(), 0.8));
      setParams({ table, tab: null }, { replace: true });
      node.focus({ preventScroll: true });
    } else {
      setParams({ focus: table, table, tab: null });
    }
  };

  // ---- Side panel ----
  const renderPanel = () => {
    renderDriftButton();
    const open = panelOpen();
    body.classList.toggle('panel-open', open);
    panel.hidden = !open;
    panelButton.setAttribute('aria-pressed', String(open));
    panelButton.setAttribute('aria-expanded', String(open));
    if (!open) return;
    const tabs: { id: Params['tab']; label: string; count?: number }[] = [
      { id: 'table', label: params.table ? 'Table' : 'Tables' },
      { id: 'drift', label: 'Drift', count: drift?.length },
      { id: 'lint', label: 'Lint', count: lint.length },
    ];
    const tabBar = h('div', { class: 'tabs panel-tabs', role: 'tablist', 'aria-label': 'Panel' },
      tabs.map((t) => h('button', { class: 'tab', role: 'tab', 'aria-selected': String(params.tab === t.id), 'data-testid': `panel-tab-${t.id}`, onClick: () => setParams({ tab: t.id === 'table' ? null : t.id }, { replace: true }) },
        t.label, t.count !== undefined ? h('span', { class: 'tab-count' }, String(t.count)) : null)));
    let content: Child;
    if (params.tab === 'drift') content = findingsList(drift, driftError, 'No drift: the ORM model and the database agree.', 'drift');
    else if (params.tab === 'lint') content = findingsList(lint, null, 'No lint findings.', 'lint');
    else if (params.table) content = tableDetails(params.table);
    else content = tableList();
    mount(panel, tabBar, h('div', { class: 'panel-body' }, content));
  };

  const findingsList = (findings: Finding[] | null, error: string | null, empty: string, kind: string): HTMLElement => {
    if (error) return errorBox(`The ${kind} check failed`, error);
    if (findings === null) return spinner(`Checking ${kind}…`);
    if (!findings.length) return h('div', { class: 'empty-small' }, empty);
    return h('ul', { class: 'findings', 'data-testid': `${kind}-list` }, findings.map((f) => h('li', null,
      h('button', { class: `finding sev-${f.severity}`, disabled: !f.table, onClick: () => f.table && (nodeByTable.has(f.table) ? jumpTo(f.table) : setParams({ table: f.table, tab: null })) },
        h('span', { class: `sev-dot sev-${f.severity}`, title: f.severity }),
        h('span', { class: 'finding-body' },
          h('span', { class: 'finding-where' }, f.table ? shortName(f.table) : 'schema', f.column ? `.${f.column}` : '', h('code', { class: 'finding-code' }, f.code)),
          h('span', { class: 'finding-msg' }, f.message),
        ),
      ), findingExtras(f))));
  };

  const tableList = (): HTMLElement => {
    if (!schema) return spinner('Loading the schema…');
    const inDiagram = (id: string) => nodeByTable.has(id);
    return h('div', { class: 'table-list' },
      h('p', { class: 'muted small' }, `${schema.tables.length} tables from ${schema.source === 'orm' ? 'the ORM metadata' : 'the database'} (${schema.origin}). Click a table in the diagram or below.`),
      h('ul', null, schema.tables.map((t) => h('li', null, h('button', { class: 'list-button', onClick: () => jumpTo(t.id) },
        icon('table', 14), h('span', null, t.id), t.entity ? h('span', { class: 'muted small' }, t.entity) : null,
        inDiagram(t.id) || !svg ? null : h('span', { class: 'badge' }, 'not drawn'))))),
    );
  };

  const tableDetails = (id: string): HTMLElement => {
    if (!schema) return spinner('Loading the schema…');
    const t = schema.tables.find((x) => x.id === id);
    if (!t) {
      return h('div', null,
        errorBox(`No table ${id}`, `The ${params.source === 'orm' ? 'ORM model' : 'database'} has no table ${id}.${params.source === 'orm' ? ' Switch to the database source to see it.' : ' Switch to the ORM source to see it.'}`),
        h('button', { class: 'btn btn-sm', style: 'margin-top:10px', onClick: () => { panelWanted = true; selectTable(null); } }, 'Show all tables'));
    }
    const pk = new Set(t.primaryKey?.columns ?? []);
    const fkCols = new Map<string, string>();
    for (const fk of t.foreignKeys) fk.columns.forEach((c, i) => fkCols.set(c, `${fk.references}.${fk.referencedColumns[i] ?? ''}`));
    const uniqueCols = new Set(t.uniques.filter((u) => u.columns.length === 1).map((u) => u.columns[0]!));
    for (const i of t.indexes) if (i.unique && !i.primary && i.columns.length === 1 && !i.where) uniqueCols.add(i.columns[0]!);
    const rels = schema.relations.filter((r) => r.from === id || r.to === id).map((r) => viewFrom(r, id));
    const findings = [...lint.filter((f) => f.table === id).map((f) => ({ ...f, kind: 'lint' })), ...(drift ?? []).filter((f) => f.table === id).map((f) => ({ ...f, kind: 'drift' }))];
    const focusHere = h('button', { class: 'btn btn-sm', 'data-testid': 'focus-table', title: `Draw ${id} with its neighbours`, onClick: () => setParams({ focus: id, table: id }) }, icon('focus', 14), params.focus === id ? 'Focused' : 'Focus');
    return h('div', { class: 'table-details', 'data-testid': 'table-details', 'data-table': id },
      h('div', { class: 'details-head' },
        h('div', null,
          h('h2', null, t.name),
          h('div', { class: 'muted small' }, t.schema, ' · ', t.kind, t.entity ? ` · entity ${t.entity}` : '', t.isPivot ? ' · pivot table' : ''),
        ),
        h('div', { class: 'details-actions' }, focusHere,
          h('button', { class: 'btn btn-ghost btn-icon', 'aria-label': 'Close table details', onClick: () => selectTable(null) }, icon('close'))),
      ),
      t.comment ? h('p', { class: 'small' }, t.comment) : null,
      findings.length ? h('section', null, h('h3', null, 'Findings'), h('ul', { class: 'findings compact' }, findings.map((f) => h('li', { class: `finding sev-${f.severity}` },
        h('span', { class: `sev-dot sev-${f.severity}` }),
        h('span', { class: 'finding-body' }, h('span', { class: 'finding-where' }, f.kind, f.column ? ` · ${f.column}` : '', h('code', { class: 'finding-code' }, f.code)), h('span', { class: 'finding-msg' }, f.message), findingExtras(f)))))) : null,
      h('section', null,
        h('h3', null, 'Columns', h('span', { class: 'muted' }, ` ${t.columns.length}`)),
        h('table', { class: 'columns' }, h('tbody', null, t.columns.map((c) => h('tr', null,
          h('td', { class: 'col-name' }, h('span', { class: 'mono' }, c.name),
            pk.has(c.name) ? h('span', { class: 'key key-pk', title: 'Primary key' }, 'PK') : null,
            fkCols.has(c.name) ? h('span', { class: 'key key-fk', title: `References ${fkCols.get(c.name)}` }, 'FK') : null,
            uniqueCols.has(c.name) ? h('span', { class: 'key key-uq', title: 'Unique' }, 'UQ') : null,
            c.property && c.property !== c.name ? h('div', { class: 'muted small' }, `property ${c.property}`) : null,
          ),
          h('td', { class: 'col-type' }, h('span', { class: 'mono' }, c.type), c.nullable ? h('span', { class: 'muted small' }, ' null') : null,
            c.enum ? h('div', { class: 'muted small', title: (schema!.enums.find((e) => e.id === c.enum || e.name === c.enum)?.values ?? []).join(', ') }, `enum ${c.enum}`) : null,
            c.default ? h('div', { class: 'muted small mono', title: 'Default' }, `= ${c.default}`) : null,
            c.generated ? h('div', { class: 'muted small' }, c.generated) : null,
          ),
        )))),
      ),
      rels.length ? h('section', null,
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
              h('button', { class: 'link', onClick: () => jumpTo(v.other), title: `Open ${v.other}` }, shortName(v.other)),
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
      ) : null,
      cascadeSection(t),
      (t.primaryKey || t.uniques.length) ? h('section', null,
        h('h3', null, 'Keys'),
        h('ul', { class: 'plain' },
          t.primaryKey ? h('li', null, h('span', { class: 'key key-pk' }, 'PK'), h('span', { class: 'mono' }, ` (${t.primaryKey.columns.join(', ')})`), t.primaryKey.name ? h('span', { class: 'muted small' }, ` ${t.primaryKey.name}`) : null) : null,
          t.uniques.map((u) => h('li', null, h('span', { class: 'key key-uq' }, 'UQ'), h('span', { class: 'mono' }, ` (${u.columns.join(', ')})`), u.name ? h('span', { class: 'muted small' }, ` ${u.name}`) : null)),
        ),
      ) : null,
      t.indexes.length ? h('section', null,
        h('h3', null, 'Indexes', h('span', { class: 'muted' }, ` ${t.indexes.length}`)),
        h('ul', { class: 'plain' }, t.indexes.map((i) => h('li', { class: 'index' },
          h('span', { class: 'mono' }, i.name ?? '(unnamed)'),
          h('div', { class: 'muted small' },
            h('span', { class: 'mono' }, `(${[...i.columns, ...i.expressions].join(', ')})`),
            i.primary ? ' · primary' : i.unique ? ' · unique' : '', i.method && i.method !== 'btree' ? ` · ${i.method}` : '', i.where ? ` · where ${i.where}` : ''),
        ))),
      ) : null,
      t.checks.length ? h('section', null, h('h3', null, 'Checks'), h('ul', { class: 'plain' }, t.checks.map((c) => h('li', null, h('span', { class: 'mono small' }, c.expression), c.name ? h('span', { class: 'muted small' }, ` ${c.name}`) : null)))) : null,
    );
  };

  // ---- Updates ----
  const update = (route: Route) => {
    const next = readParams(route.params);
    const prev = params;
    params = next;
    if (prev.source !== next.source) {
      schema = null;
      lint = [];
    }
    renderSourceSwitch();
    renderFocusChip();
    renderPanel();
    if (diagramKey(next) !== loadedKey) {
      void loadDiagram();
    } else {
      decorate();
      if (next.table !== prev.table && next.table && pz && nodeByTable.has(next.table)) {
        // Keep the selected table in view (the panel may just have covered it).
        const node = nodeByTable.get(next.table)!;
        if (!inView(node)) pz.centerOn(node, pz.scale());
      }
    }
  };

  renderSourceSwitch();
  renderSearch();
  renderExport();
  renderDriftButton();

  const onKey = (e: KeyboardEvent) => {
    if (e.key === '/' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement)) {
      e.preventDefault();
      searchWrap.querySelector('input')?.focus();
    } else if (e.key === 'Escape' && params.table && !(e.target instanceof HTMLInputElement) && !document.querySelector('dialog[open]')) {
      selectTable(null);
    }
  };
  document.addEventListener('keydown', onKey);
  const offTheme = onThemeChange(() => {
    if (svg) {
      loadedKey = null;
      void loadDiagram();
    }
  });

  return {
    update,
    destroy() {
      destroyed = true;
      seq++;
      pz?.destroy();
      document.removeEventListener('keydown', onKey);
      offTheme();
    },
  };
}

function shortName(id: string): string {
  return id.startsWith('public.') ? id.slice(7) : id;
}

function countBy(findings: Finding[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of findings) if (f.table) out.set(f.table, (out.get(f.table) ?? 0) + 1);
  return out;
}

function scoreMatch(t: Table, q: string): number {
  const name = t.name.toLowerCase();
  const id = t.id.toLowerCase();
  const entity = (t.entity ?? '').toLowerCase();
  if (name === q || entity === q) return 100;
  if (name.startsWith(q) || entity.startsWith(q)) return 80;
  if (id.startsWith(q)) return 70;
  if (name.includes(q) || entity.includes(q)) return 50;
  if (id.includes(q)) return 40;
  // Subsequence match ("usrtm" → user_team).
  let i = 0;
  for (const ch of name) if (ch === q[i]) i++;
  return i === q.length ? 10 : 0;
}

/** Rasterises an SVG string at 2x into a PNG blob. */
async function svgToPng(svgText: string): Promise<Blob> {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const root = doc.documentElement;
  const vb = (root.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  const width = vb.length === 4 && vb[2]! > 0 ? vb[2]! : Number.parseFloat(root.getAttribute('width') ?? '800');
  const height = vb.length === 4 && vb[3]! > 0 ? vb[3]! : Number.parseFloat(root.getAttribute('height') ?? '600');
  root.setAttribute('width', String(width));
  root.setAttribute('height', String(height));
  const text = new XMLSerializer().serializeToString(root);
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  const img = new Image();
  await new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('The browser could not rasterise the SVG.'));
    img.src = url;
  });
  const scale = 2;
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, width, height);
  return new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the PNG.'))), 'image/png'));
}
