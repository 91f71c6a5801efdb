/**
 * The ER diagram view: it keeps the state (URL parameters, the schema model, drift and lint)
 * and updates the page when they change. The pieces live beside it: the side panel
 * (diagram-panel.ts), the map of a large schema (diagram-map.ts), the table search
 * (diagram-search.ts), the exports (diagram-export.ts), the scope and cost of a drawing
 * (diagram-scope.ts) and the drawing itself (diagram-canvas.ts, laid out in a Web Worker).
 */
import { h, icon, mount, type Child } from '../dom.ts';
import { api, ApiError, sharedHealth, type Finding, type SchemaModel, type SchemaSource } from '../api.ts';
import { currentRoute, setParams, type Route } from '../route.ts';
import { errorBox, segmented, spinner } from '../ui.ts';
import { panZoom, type PanZoom } from '../panzoom.ts';
import { isDrift } from '../../common/findings.ts';
import type { ViewInstance } from '../main.ts';
import { LayoutCancelled } from '../layout/client.ts';
import { bySeverity, defaultSourceFor, diagramKey, maxDepth, modelProblems, readParams, severityOrder, shortName, type DiagramContext, type DriftBasis, type Params, type UrlProblem } from './diagram-params.ts';
import { createPanel } from './diagram-panel.ts';
import { urlProblemsBanner } from './url-problems.ts';
import { mapThreshold, schemaMap } from './diagram-map.ts';
import { tableSearch } from './diagram-search.ts';
import { exportMenu } from './diagram-export.ts';
import { adjacency, costOf, countsByDepth, findTable, neighbourhood } from './diagram-scope.ts';
import { drawDiagram, farScale, layerScale, setDetail, type Drawing, type DrawProgress } from './diagram-canvas.ts';

export { mapThreshold };

const driftChoiceKey = 'relscope.drift-choice';

export function diagramView(container: HTMLElement): ViewInstance {
  let { params, problems } = readParams(new URLSearchParams(location.search));
  let loadedKey: string | null = null;
  let seq = 0;
  const schemas = new Map<SchemaSource, Promise<SchemaModel>>();
  const lints = new Map<string, Promise<Finding[]>>();
  const adjacencies = new WeakMap<SchemaModel, Map<string, string[]>>();
  let schema: SchemaModel | null = null;
  let lint: Finding[] = [];
  /** False until the lint of the current source has arrived (the tab shows no count, not a 0, meanwhile). */
  let lintLoaded = false;
  let drift: Finding[] | null = null;
  let driftError: string | null = null;
  let driftRequested = false;
  let driftBasis: DriftBasis | null = null;
  /** null: the default (off only for the demo model on a database without its tables). */
  let driftChoice: 'on' | 'off' | null = (() => { try { return sessionStorage.getItem(driftChoiceKey) as 'on' | 'off' | null; } catch { return null; } })();
  /** The drawn picture (SVG tiles in one element), or null (map, loading, error). */
  let svg: HTMLElement | null = null;
  let pz: PanZoom | null = null;
  let drawing: Drawing | null = null;
  let nodeByTable = new Map<string, SVGGElement>();
  let destroyed = false;
  let lateProblems: UrlProblem[] = [];

  /** The source when the URL names none: the database for the demo model on a database without it. */
  let defaultSource: SchemaSource = 'orm';
  let basisKnown = false;

  const driftOff = () => driftChoice === 'off' || (driftChoice === null && !!driftBasis && driftBasis.model === 'demo' && !driftBasis.databaseHasModel);

  // ---- Layout ----
  const banner = urlProblemsBanner();
  const notices = banner.element;
  const sourceSwitch = h('div', { class: 'toolbar-group' });
  const searchWrap = h('div', { class: 'search' });
  const focusChip = h('div', { class: 'focus-chip-host' });
  const driftButton = h('button', { class: 'btn', 'data-testid': 'drift-button', onClick: () => setParams({ tab: params.tab === 'drift' ? null : 'drift' }, { replace: true }) }, icon('warn', 15), 'Drift');
  const exportHost = h('div');
  const panelButton = h('button', { class: 'btn', 'data-testid': 'panel-toggle', 'aria-controls': 'side-panel', onClick: () => panel.toggle() }, icon('table', 15), h('span', { class: 'btn-label' }, 'Tables'));
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Diagram options' }, sourceSwitch, searchWrap, focusChip, h('div', { class: 'spacer' }), panelButton, driftButton, exportHost);
  const viewport = h('div', { class: 'canvas', tabindex: '0', 'aria-label': 'Diagram. Arrow keys pan, plus and minus zoom, 0 fits.', 'data-testid': 'diagram-canvas' });
  const status = h('div', { class: 'canvas-status muted small', role: 'status' });
  const progress = h('div', { class: 'draw-progress', 'data-testid': 'draw-progress', hidden: true });
  const zoomLabel = h('span', { class: 'zoom-label' }, '100%');
  const zoomControls = h('div', { class: 'zoom-controls' },
    h('button', { class: 'btn btn-icon', 'aria-label': 'Zoom in', title: 'Zoom in (+)', onClick: () => pz?.zoomBy(1.25) }, icon('plus')),
    zoomLabel,
    h('button', { class: 'btn btn-icon', 'aria-label': 'Zoom out', title: 'Zoom out (−)', onClick: () => pz?.zoomBy(0.8) }, icon('minus')),
    h('button', { class: 'btn btn-icon', 'aria-label': 'Fit to view', title: 'Fit (0)', onClick: () => pz?.fit() }, icon('fit')),
  );
  const canvasWrap = h('div', { class: 'canvas-wrap' }, viewport, zoomControls, status, progress);
  // Tables are clicked through one listener on the canvas; a click on empty canvas clears the selection.
  viewport.addEventListener('click', (e) => {
    const node = (e.target as Element).closest<SVGGElement>('g.rs-table');
    if (node?.dataset.table) selectTable(node.dataset.table);
    else if (svg && params.table) selectTable(null);
  });
  viewport.addEventListener('keydown', (e) => {
    const node = (e.target as Element).closest?.<SVGGElement>('g.rs-table');
    if (node?.dataset.table && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      selectTable(node.dataset.table);
    }
  });

  const ctx: DiagramContext = {
    params: () => params,
    schema: () => schema,
    schemaFor: (source) => schemaFor(source),
    lint: () => lint,
    lintLoaded: () => lintLoaded,
    drift: () => (driftOff() ? [] : drift),
    driftError: () => driftError,
    driftOff,
    driftBasis: () => driftBasis,
    setDrift: (on) => chooseDrift(on ? 'on' : 'off'),
    isDrawn: (table) => nodeByTable.has(table),
    hasPicture: () => !!svg,
    jumpTo: (table) => jumpTo(table),
    selectTable: (table) => selectTable(table),
    showTableList: () => {
      panel.want(true);
      selectTable(null);
    },
  };
  const body = h('div', { class: 'diagram-body' }, canvasWrap);
  const panel = createPanel(ctx, (open) => {
    renderDriftButton();
    body.classList.toggle('panel-open', open);
    panelButton.setAttribute('aria-pressed', String(open));
    panelButton.setAttribute('aria-expanded', String(open));
  });
  body.append(panel.element);
  const renderPanel = () => panel.render();
  mount(container, h('div', { class: 'diagram-view' }, notices, toolbar, body));

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
    const key = `${source}|${driftOff() ? 'off' : 'on'}`;
    let p = lints.get(key);
    if (!p) {
      p = api.lint(source, undefined, driftOff() ? { drift: 'off' } : {}).catch(() => [] as Finding[]);
      lints.set(key, p);
    }
    return p;
  };
  const loadDrift = () => {
    drift = null;
    renderDriftButton();
    sharedHealth().then((health) => {
      driftBasis = health.orm ? { model: health.orm.model, databaseHasModel: health.orm.databaseHasModel } : null;
    }, () => {}).then(() => {
      if (driftOff()) return [] as Finding[];
      return api.drift();
    }).then((f) => {
      drift = f.filter(isDrift).sort(bySeverity); // missing-FK-index advice is lint, not drift
      driftError = null;
    }, (error: Error) => {
      drift = [];
      driftError = error.message;
    }).finally(() => {
      if (destroyed) return;
      renderDriftButton();
      refreshLint();
      decorate();
      renderPanel();
    });
  };
  const refreshLint = () => {
    const source = params.source;
    lintFor(source).then((f) => {
      if (destroyed || params.source !== source) return;
      lint = f.sort(bySeverity);
      lintLoaded = true;
      renderPanel();
    });
  };
  const chooseDrift = (choice: 'on' | 'off') => {
    driftChoice = choice;
    try { sessionStorage.setItem(driftChoiceKey, choice); } catch { /* the choice lasts this page */ }
    loadDrift();
  };

  // ---- Toolbar pieces ----
  const renderSourceSwitch = () => {
    mount(sourceSwitch, segmented('source', 'Schema source', [
      { value: 'orm', label: 'ORM', title: driftBasis?.model === 'demo' ? 'relscope’s built-in demo model (no MikroORM config was found)' : 'The schema as the MikroORM entities define it' },
      { value: 'db', label: 'Database', title: 'The schema as the database catalogs show it' },
    ], params.source, (value) => setParams({ source: value === defaultSource ? null : value, full: null })));
  };

  const renderDriftButton = () => {
    const off = driftOff();
    const n = drift?.length ?? 0;
    // Labelled when the comparison is with relscope's demo model on a database without it.
    const demo = driftBasis?.model === 'demo' && !driftBasis.databaseHasModel;
    driftButton.replaceChildren(icon('warn', 15), h('span', { class: 'btn-label' }, off ? 'Drift off' : demo ? 'Drift vs demo' : 'Drift'));
    if (!off) driftButton.append(h('span', { class: `count-pill ${n ? 'count-warn' : ''}` }, drift === null ? '…' : String(n)));
    driftButton.setAttribute('aria-pressed', String(params.tab === 'drift'));
    driftButton.title = off ? 'No MikroORM config: there is no model of yours to compare this database with'
      : driftError ? `Drift could not be computed: ${driftError}`
      : n ? `${n} differences between ${demo ? 'relscope’s demo model' : 'the ORM model'} and the database` : 'The ORM model and the database agree';
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
        icon('table', 14), h('span', null, 'Whole schema'),
        h('button', { class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': 'Back to the map of tables', title: 'Back to the map of tables', onClick: () => setParams({ full: null }) }, icon('close', 14)),
      ));
      return;
    }
    if (!params.focus) {
      mount(focusChip);
      return;
    }
    // Each depth says how many tables it draws, and what that costs, before it is chosen.
    const start = schema ? findTable(schema, params.focus) : null;
    const counts = schema && start ? countsByDepth(adjacencyOf(schema), start.id, maxDepth) : [];
    const depthSelect = h('select', { 'aria-label': 'Focus depth (hops)', 'data-testid': 'focus-depth', onChange: (e: Event) => setParams({ depth: (e.target as HTMLSelectElement).value }) },
      Array.from({ length: maxDepth }, (_, i) => i + 1).map((d) => {
        const n = counts[d - 1];
        const cost = n !== undefined && n > 60 ? `, ${costOf(n).label}` : '';
        return h('option', { value: d, selected: d === params.depth }, `${d} hop${d > 1 ? 's' : ''}${n !== undefined ? ` · ${n} tables${cost}` : ''}`);
      }));
    mount(focusChip, h('div', { class: 'focus-chip', 'data-testid': 'focus-chip' },
      icon('focus', 14), h('span', { class: 'focus-label' }, 'Focus '), h('b', null, shortName(params.focus)), depthSelect,
      h('button', { class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': 'Leave focus mode', title: 'Show the whole schema', onClick: () => setParams({ focus: null, depth: null }) }, icon('close', 14)),
    ));
  };

  const renderNotices = () => banner.show([...problems, ...lateProblems]);

  const adjacencyOf = (model: SchemaModel) => {
    let adj = adjacencies.get(model);
    if (!adj) {
      adj = adjacency(model);
      adjacencies.set(model, adj);
    }
    return adj;
  };

  // ---- Diagram ----
  const setStatus = (...children: Child[]) => mount(status, ...children);

  // Built once and updated in place, so the Cancel button stays the same element throughout.
  const progressText = h('div', { class: 'draw-progress-text' });
  const progressFill = h('span');
  progress.append(progressText, h('div', { class: 'draw-progress-bar' }, progressFill),
    h('button', { class: 'btn btn-sm', 'data-testid': 'draw-cancel', onClick: () => cancelDrawing() }, 'Cancel'));
  const showProgress = (p: DrawProgress | null, total: number) => {
    progress.hidden = !p;
    if (!p) return;
    progressText.textContent = p.phase === 'layout' ? `Laying out ${total} tables in the background…` : `Drawing ${p.done} of ${total} tables…`;
    const fraction = p.phase === 'layout' ? 0.3 * (p.done / Math.max(1, total)) : 0.3 + 0.7 * (p.done / Math.max(1, total));
    progressFill.style.width = `${Math.round(fraction * 100)}%`;
  };

  const cancelDrawing = () => {
    if (!drawing) return;
    drawing.cancel();
  };

  const resetPicture = () => {
    drawing?.cancel();
    drawing = null;
    pz?.destroy();
    pz = null;
    svg = null;
    nodeByTable = new Map();
    progress.hidden = true;
  };

  /** The tables this view draws, or 'map', or an error message (from the server, for focus). */
  const scopeOf = async (p: Params, model: SchemaModel): Promise<{ ids: string[]; title: string } | 'map'> => {
    if (p.focus) {
      const start = findTable(model, p.focus);
      if (!start) {
        // The server's message names the nearest tables ("Did you mean …?").
        await api.diagram({ source: p.source, focus: p.focus, depth: p.depth });
        throw new Error(`focus: there is no single table "${p.focus}" in the ${p.source} schema.`);
      }
      return { ids: neighbourhood(adjacencyOf(model), start.id, p.depth), title: `${start.id}, ${p.depth} hop${p.depth > 1 ? 's' : ''}` };
    }
    if (p.schema) {
      const ids = model.tables.filter((t) => t.schema === p.schema).map((t) => t.id);
      if (ids.length) return { ids, title: `schema ${p.schema}` };
    }
    if (!p.full && model.tables.length > mapThreshold) return 'map';
    return { ids: model.tables.map((t) => t.id), title: 'all tables' };
  };

  const loadDiagram = async () => {
    const my = ++seq;
    loadedKey = diagramKey(params);
    resetPicture();
    container.dataset.state = 'loading';
    zoomControls.hidden = true;
    // What was shown (a map of 1,000 tables, a large picture) is hidden now and removed in a
    // later task: taking a large subtree out of the layout and out of the DOM in one task is long.
    const previous = [...viewport.children] as HTMLElement[];
    for (const el of previous) el.style.display = 'none';
    viewport.append(spinner('Loading the schema…'));
    if (previous.length) setTimeout(() => { for (const el of previous) el.remove(); }, 0);
    setStatus();
    // Which source a URL without one means is known once /api/health has answered.
    if (!basisKnown) {
      await basisReady;
      if (my !== seq) return;
    }
    const t0 = performance.now();
    const p = { ...params };
    // Drift and lint read both models: asked for once the view is drawn, so that on the
    // embedded database (one connection) they do not queue ahead of the diagram.
    const afterwards = () => {
      if (my !== seq) return;
      if (!driftRequested) {
        driftRequested = true;
        loadDrift();
      } else refreshLint();
    };
    try {
      const model = await schemaFor(p.source);
      if (my !== seq) return;
      schema = model;
      lateProblems = modelProblems(p, model);
      renderNotices();
      renderFocusChip();
      renderPanel();
      const scope = await scopeOf(p, model);
      if (my !== seq) return;
      if (scope === 'map') {
        mount(viewport, schemaMap(model, p, driftOff() ? [] : drift));
        setStatus(h('span', null, `${model.tables.length} tables · map`));
        ready(t0, model.tables.length, 0);
        afterwards();
        return;
      }
      const total = scope.ids.length;
      let firstSlice = true;
      drawing = drawDiagram(model, scope.ids, {
        onPicture(el, size) {
          if (my !== seq) return;
          mount(viewport, el);
          svg = el;
          zoomControls.hidden = false;
          // The level of detail: less of it as soon as a zoom goes below farScale (the whole
          // picture comes into view, and painting its text would cost more with every frame);
          // more only once a wheel gesture rests, so that zooming in changes nothing but the transform.
          pz = panZoom(viewport, el, {
            size,
            layerScale,
            onChange(k) {
              zoomLabel.textContent = `${Math.round(k * 100)}%`;
              if (k < farScale) setDetail(el, k, total);
            },
            onSettled: (k) => setDetail(el, k, total),
          });
          el.classList.toggle('is-large', total > 150);
        },
        onSlice(nodes) {
          if (my !== seq) return;
          nodeByTable = nodes;
          if (firstSlice) {
            firstSlice = false;
            // A focus opens on its table (drawn first), readable, rather than on the whole fitted picture.
            const start = p.focus ? nodes.get(scope.ids[0]!) : undefined;
            if (start && pz && pz.scale() < 0.6) pz.centerOn(start, 0.7);
            window.__relscope.firstPictureAt = performance.now();
            window.__relscope.firstPictureMs = performance.now() - t0;
          }
        },
        onProgress(pr) {
          if (my === seq) showProgress(pr, total);
        },
      });
      const result = await drawing.done;
      if (my !== seq) return;
      drawing = null;
      showProgress(null, total);
      decorate();
      const selected = params.table ? nodeByTable.get(params.table) : undefined;
      if (selected && pz && !inView(selected)) pz.centerOn(selected, pz.scale());
      const ms = performance.now() - t0;
      setStatus(
        h('span', { 'data-testid': 'drawn-count' }, drawnCount(model, scope.ids)),
        result.columns ? null : h('span', { class: 'badge', title: `Over ${total > 1 ? 'this many' : ''} tables, boxes show names only; a table’s columns are in the side panel` }, 'names only'),
        h('span', { title: `Layout ${Math.round(result.layoutMs)} ms in a Web Worker, drawing ${Math.round(result.drawMs)} ms in slices` }, ` · ${Math.round(ms)} ms`),
      );
      ready(t0, total, total);
      renderPanel();
      afterwards();
    } catch (error) {
      if (my !== seq) return;
      drawing = null;
      showProgress(null, 0);
      if (error instanceof LayoutCancelled || (error as Error).message === 'cancelled') {
        resetPicture();
        container.dataset.state = 'cancelled';
        zoomControls.hidden = true;
        mount(viewport, h('div', { class: 'canvas-message', 'data-testid': 'draw-cancelled' }, h('div', { class: 'empty-small' },
          h('p', null, 'Drawing cancelled.'),
          h('div', { class: 'row-buttons' },
            p.focus ? h('button', { class: 'btn btn-sm', onClick: () => setParams({ focus: null, depth: null }) }, 'Leave focus') : null,
            p.full || p.schema ? h('button', { class: 'btn btn-sm', onClick: () => setParams({ full: null, schema: null }) }, 'Back to the map') : null,
            h('button', { class: 'btn btn-sm', onClick: () => void loadDiagram() }, 'Draw again')))));
        afterwards();
        return;
      }
      container.dataset.state = 'error';
      afterwards();
      const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
      mount(viewport, h('div', { class: 'canvas-message' }, errorBox(p.focus ? `Could not draw the neighbourhood of ${p.focus}` : 'Could not draw the diagram', message, () => void loadDiagram())));
    }
  };

  const ready = (t0: number, _total: number, drawn: number) => {
    container.dataset.state = 'ready';
    window.__relscope.readyAt = performance.now();
    window.__relscope.diagramMs = performance.now() - t0;
    window.__relscope.diagramTables = drawn;
    performance.mark('relscope:diagram-ready');
  };

  const inView = (el: Element) => {
    const r = el.getBoundingClientRect();
    const v = viewport.getBoundingClientRect();
    return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
  };

  /** Selection, drift markers and the selection's neighbours on the drawn diagram (or the map). */
  const decorate = () => {
    const driftNow = driftOff() ? [] : (drift ?? []);
    if (!svg) {
      const driftTables = new Set(driftNow.map((f) => f.table));
      for (const el of viewport.querySelectorAll<HTMLElement>('.map-table')) {
        el.classList.toggle('is-selected', el.dataset.table === params.table);
        el.classList.toggle('has-drift', driftTables.has(el.dataset.table ?? ''));
      }
      return;
    }
    const count = new Map<string, number>();
    const worst = new Map<string, string>();
    for (const f of driftNow) {
      if (!f.table) continue;
      count.set(f.table, (count.get(f.table) ?? 0) + 1);
      const had = worst.get(f.table);
      if (!had || (severityOrder[f.severity] ?? 3) < (severityOrder[had] ?? 3)) worst.set(f.table, f.severity);
    }
    for (const old of svg.querySelectorAll('.rs-badge')) old.remove();
    for (const old of svg.querySelectorAll('g.rs-table.has-drift, g.rs-table.is-selected, g.rs-table.is-neighbour')) old.classList.remove('has-drift', 'is-selected', 'is-neighbour');
    for (const [table, n] of count) {
      const node = nodeByTable.get(table);
      if (!node) continue;
      node.classList.add('has-drift');
      const width = Number(node.querySelector('rect')?.getAttribute('width') ?? 0);
      const badge = document.createElementNS('http://www.w3.org/2000/svg', 'g');
      badge.setAttribute('class', `rs-badge sev-${worst.get(table) ?? 'warning'}`);
      badge.setAttribute('transform', `translate(${width - 2}, 2)`);
      badge.innerHTML = `<title>${n} drift finding${n > 1 ? 's' : ''}</title><circle r="10"></circle><text text-anchor="middle" dy="4">${n}</text>`;
      node.appendChild(badge);
    }
    for (const old of svg.querySelectorAll('g.rs-table.is-focus')) old.classList.remove('is-focus');
    const focus = params.focus && schema ? findTable(schema, params.focus) : null;
    if (focus) nodeByTable.get(focus.id)?.classList.add('is-focus');
    const selected = params.table ? nodeByTable.get(params.table) : undefined;
    selected?.classList.add('is-selected');
    svg.classList.toggle('has-selection', !!selected);
    for (const edge of svg.querySelectorAll<SVGElement>('.rs-edge.is-related')) edge.classList.remove('is-related');
    if (selected && params.table) {
      for (const edge of svg.querySelectorAll<SVGElement>('.rs-edge')) {
        const from = edge.dataset.from;
        const to = edge.dataset.to;
        if (from !== params.table && to !== params.table) continue;
        edge.classList.add('is-related');
        nodeByTable.get(from === params.table ? to! : from!)?.classList.add('is-neighbour');
      }
    }
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

  // ---- Updates ----
  const update = (route: Route) => {
    const read = readParams(route.params, defaultSource);
    const prev = params;
    params = read.params;
    problems = read.problems;
    if (prev.source !== params.source) {
      schema = null;
      lint = [];
      lintLoaded = false;
    }
    if (schema) lateProblems = modelProblems(params, schema);
    renderNotices();
    renderSourceSwitch();
    renderFocusChip();
    renderPanel();
    if (diagramKey(params) !== loadedKey) {
      void loadDiagram();
    } else {
      decorate();
      if (params.table !== prev.table && params.table && pz && nodeByTable.has(params.table)) {
        // Keep the selected table in view (the panel may just have covered it).
        const node = nodeByTable.get(params.table)!;
        if (!inView(node)) pz.centerOn(node, pz.scale());
      }
    }
  };

  // The demo model on a database without its tables is not the user's schema: a URL without
  // source= then opens on the database (and the ORM switch writes source=orm).
  const basisReady = sharedHealth().then((health) => {
    driftBasis = health.orm ? { model: health.orm.model, databaseHasModel: health.orm.databaseHasModel } : null;
  }, () => {}).then(() => {
    basisKnown = true;
    const next = defaultSourceFor(driftBasis);
    if (next === defaultSource || destroyed) return;
    defaultSource = next;
    if (!new URLSearchParams(location.search).has('source')) update(currentRoute());
  });

  renderSourceSwitch();
  tableSearch(searchWrap, ctx);
  exportMenu(exportHost, ctx);
  renderDriftButton();
  renderNotices();

  const onKey = (e: KeyboardEvent) => {
    if (e.key === '/' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement)) {
      e.preventDefault();
      searchWrap.querySelector('input')?.focus();
    } else if (e.key === 'Escape' && drawing) {
      cancelDrawing();
    } else if (e.key === 'Escape' && params.table && !(e.target instanceof HTMLInputElement) && !document.querySelector('dialog[open]')) {
      selectTable(null);
    }
  };
  document.addEventListener('keydown', onKey);

  return {
    update,
    destroy() {
      destroyed = true;
      seq++;
      resetPicture();
      document.removeEventListener('keydown', onKey);
    },
  };
}

/** "41 tables · 3 views": what the picture holds, counted as the header counts tables (views apart). */
export function drawnCount(model: SchemaModel, ids: readonly string[]): string {
  const kinds = new Map(model.tables.map((t) => [t.id, t.kind]));
  const views = ids.filter((id) => /view$/.test(kinds.get(id) ?? '')).length;
  const tables = ids.length - views;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return views ? `${plural(tables, 'table')} · ${plural(views, 'view')}` : plural(tables, 'table');
}
