/**
 * The loading-strategy comparison: pick a root entity, tick relations in its tree, run.
 * Strategies side by side, the verdict and advice, the scaling sweep as charts, and every
 * statement's SQL with its plan.
 */
import { h, icon, mount, fmtMs, fmtInt, fmtFactor, type Child } from '../dom.ts';
import { api, ApiError, compareStream, sharedHealth } from '../api.ts';
import { setParams, type Route } from '../route.ts';
import { errorBox, spinner, toast, download, copyText, menuButton } from '../ui.ts';
import { sqlBlock, formatSql } from '../sql.ts';
import { planFromExplain } from '../plan-model.ts';
import { planPanel } from './plan.ts';
import { lineChart, legend } from '../chart.ts';
import { correctnessLine, formatMarkdown as compareMarkdown, runsLine } from '../../common/lab-format.ts';
import { strategyNames, strategyDescriptions, compareLimits } from '../../common/lab-types.ts';
import { measureOrder } from '../../common/lab-types.ts';
import type { CompareEvent, CompareRequestInput } from '../../common/lab-types.ts';
import type { CompareReport, EntitiesResponse, EntityInfo, EntityRelationInfo, StrategyName, StrategyResult, StatementGroup, AdviceItem, SweepPoint } from '../../common/lab-types.ts';
import type { ViewInstance } from '../view.ts';
import { urlProblemsBanner } from './url-problems.ts';
import { compareUrlProblems } from './compare-params.ts';

export const strategyColors: Record<StrategyName, string> = {
  'as-configured': 'var(--s-as-configured, #0f766e)',
  select: 'var(--s-select)',
  'select-in': 'var(--s-select-in)',
  joined: 'var(--s-joined)',
  balanced: 'var(--s-balanced)',
  dataloader: 'var(--s-dataloader)',
};

const sweepChoices = [
  { value: '', label: 'Off' },
  { value: '1,10', label: '1 · 10' },
  { value: '1,10,100', label: '1 · 10 · 100' },
  { value: '1,10,100,1000', label: '1 · 10 · 100 · 1000' },
];

interface FormState {
  root: string;
  populate: string[];
  limit: number;
  where: string;
  strategies: StrategyName[];
  repeat: number;
  sweep: string;
  /** More loading options (issue 12 item 7), as typed; the server validates them. */
  populateWhere: string;
  populateOrderBy: string;
  fields: string;
  exclude: string;
  filters: string;
  eager: string;
}

const optionKeys = ['populateWhere', 'populateOrderBy', 'fields', 'exclude', 'filters', 'eager'] as const;

function formFromParams(params: URLSearchParams, entities: EntitiesResponse): FormState {
  const names = entities.entities.map((e) => e.name);
  const wanted = params.get('root');
  const root = wanted && names.includes(wanted) ? wanted : names.includes('User') ? 'User' : (names[0] ?? '');
  const intParam = (key: string, lim: { min: number; max: number; default: number }) => {
    const v = Number(params.get(key));
    return params.has(key) && Number.isInteger(v) && v >= lim.min && v <= lim.max ? v : lim.default;
  };
  const strategies = (params.get('strategies') ?? '').split(',').filter((x): x is StrategyName => (strategyNames as readonly string[]).includes(x));
  return {
    root,
    populate: (params.get('populate') ?? '').split(',').map((p) => p.trim()).filter(Boolean),
    limit: intParam('limit', compareLimits.limit),
    where: params.get('where') ?? '',
    strategies: strategies.length ? strategies : [...strategyNames],
    repeat: intParam('repeat', compareLimits.repeat),
    // The sweep is opt-in: it multiplies the work.
    sweep: params.get('sweep') ?? '',
    ...Object.fromEntries(optionKeys.map((k) => [k, params.get(k) ?? ''])) as Pick<FormState, typeof optionKeys[number]>,
  };
}

function paramsFromForm(f: FormState): Record<string, string | null> {
  return {
    root: f.root,
    populate: f.populate.join(',') || null,
    limit: f.limit === compareLimits.limit.default ? null : String(f.limit),
    where: f.where.trim() || null,
    strategies: f.strategies.length === strategyNames.length ? null : f.strategies.join(','),
    repeat: f.repeat === compareLimits.repeat.default ? null : String(f.repeat),
    sweep: f.sweep || null,
    ...Object.fromEntries(optionKeys.map((k) => [k, f[k].trim() || null])),
  };
}

const requestKey = (f: FormState) => JSON.stringify(paramsFromForm(f));

/** Populate paths as a tree; ticking a path ticks its parents (they are loaded too). */
interface PathNode {
  path: string;
  name: string;
  relation: EntityRelationInfo | null;
  children: PathNode[];
}

function pathTree(entity: EntityInfo, all: EntityInfo[]): PathNode[] {
  const byName = new Map(all.map((e) => [e.name, e]));
  const roots: PathNode[] = [];
  const nodes = new Map<string, PathNode>();
  const sorted = [...entity.paths].sort((a, b) => a.split('.').length - b.split('.').length);
  for (const path of sorted) {
    const parts = path.split('.');
    // Find the relation info by walking the entity graph.
    let owner: EntityInfo | undefined = entity;
    let relation: EntityRelationInfo | null = null;
    for (const part of parts) {
      relation = owner?.relations.find((r) => r.name === part) ?? null;
      owner = relation ? byName.get(relation.target) : undefined;
    }
    const node: PathNode = { path, name: parts[parts.length - 1]!, relation, children: [] };
    nodes.set(path, node);
    const parent = parts.length > 1 ? nodes.get(parts.slice(0, -1).join('.')) : undefined;
    if (parent) parent.children.push(node);
    else if (parts.length === 1) roots.push(node);
  }
  return roots;
}

/** The ticked set: every selected path and its prefixes. */
function closure(paths: string[]): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}

/** The shortest list of paths that populates the ticked set: the ticked leaves. */
function leaves(set: Set<string>): string[] {
  return [...set].filter((p) => ![...set].some((q) => q.startsWith(`${p}.`))).sort();
}

export function compareView(container: HTMLElement): ViewInstance {
  let entities: EntitiesResponse | null = null;
  let form: FormState | null = null;
  let report: CompareReport | null = null;
  let reportKey: string | null = null;
  let running: AbortController | null = null;
  let detailStrategy: StrategyName | null = null;
  let ranAt = 0;
  let destroyed = false;

  const formHost = h('aside', { class: 'compare-form', 'aria-label': 'Comparison options' });
  const resultsHost = h('section', { class: 'compare-results', 'aria-label': 'Comparison results', 'aria-live': 'polite' });
  // Parameters of the address the form cannot use are said above it (compare-params.ts).
  const urlProblems = urlProblemsBanner();
  // Without a MikroORM config the entities are relscope's demo model: on a database without
  // its tables every strategy would fail with "relation … does not exist". Said before a run.
  const demoNote = h('div', { class: 'notice compare-demo-note', role: 'note', 'data-testid': 'compare-demo-note', hidden: true });
  mount(container, urlProblems.element, demoNote, h('div', { class: 'compare-view' }, formHost, resultsHost));
  sharedHealth().then((health) => {
    if (destroyed || health.orm?.model !== 'demo' || health.orm.databaseHasModel) return;
    demoNote.hidden = false;
    mount(demoNote, h('b', null, 'No MikroORM config was found: '),
      'these are relscope\'s demo entities, and this database has none of their tables, so a comparison here fails. Run relscope in your project\'s folder (or pass --config) to compare your own entities, or ',
      h('code', null, 'relscope serve --demo'), ' to try the demo on its own database.');
  }, () => {});

  const showIntro = () => {
    mount(resultsHost, h('div', { class: 'empty-state' },
      h('div', { class: 'empty-icon' }, icon('play', 28)),
      h('h2', null, 'Compare loading strategies'),
      h('p', null, 'Pick a root entity, tick the relations to populate, and run. relscope loads the same page of entities with every strategy, counts round trips, times them, and explains each statement.'),
      h('p', { class: 'muted' }, 'Each strategy appears as soon as it is measured: "as configured" (your entities and config, unchanged) and the cheap strategies first, the lazy select loop last, its round trips predicted before it runs. Fast strategies are repeated until their runs agree; each row says how many runs were made. Every comparison has a time and row budget; Cancel (or leaving this view) stops the server\'s work at once.'),
    ));
  };

  const loadEntities = async () => {
    mount(formHost, spinner('Loading entities…'));
    try {
      entities = await api.entities();
    } catch (error) {
      mount(formHost, errorBox('Could not load the entities', (error as Error).message, () => void loadEntities().then((ok) => ok && sync(currentParams))));
      mount(resultsHost, h('div', { class: 'empty-state' },
        h('div', { class: 'empty-icon' }, icon('warn', 28)),
        h('h2', null, 'The comparison needs the ORM entities'),
        h('p', null, 'relscope could not read them from the server; see the message on the left, then try again.')));
      return false;
    }
    return true;
  };

  let currentParams = new URLSearchParams(location.search);
  const sync = (params: URLSearchParams) => {
    currentParams = params;
    if (!entities) return;
    form = formFromParams(params, entities);
    urlProblems.show(compareUrlProblems(params, entities));
    renderForm();
    const wantRun = params.get('run') === '1';
    if (wantRun && form.root && requestKey(form) !== reportKey && !running) {
      // A reload (or a link opened in this browser) shows the last result of the same
      // comparison, with the time it ran and a button to run it again; otherwise it runs.
      const saved = loadSaved(requestKey(form));
      if (saved) {
        report = saved.report;
        reportKey = requestKey(form);
        ranAt = saved.at;
        detailStrategy = (params.get('strategy') as StrategyName | null) ?? report.strategies[0]?.strategy ?? null;
        renderResults();
      } else {
        void run({ fromUrl: true });
      }
    } else if (!report && !running) showIntro();
    if (report && params.get('strategy') !== detailStrategy) {
      const s = params.get('strategy') as StrategyName | null;
      if (s && report.strategies.some((r) => r.strategy === s)) {
        detailStrategy = s;
        renderResults();
      }
    }
  };

  const changeForm = (patch: Partial<FormState>) => {
    if (!form) return;
    form = { ...form, ...patch };
    // The address always holds the form; `run` only while the shown results match it.
    const matches = report !== null && requestKey(form) === reportKey;
    setParams({ ...paramsFromForm(form), run: matches ? '1' : null }, { replace: true, silent: true });
    renderForm();
  };

  const renderForm = () => {
    if (!entities || !form) return;
    const f = form;
    const entity = entities.entities.find((e) => e.name === f.root);
    const ticked = closure(f.populate);
    const toggle = (node: PathNode, on: boolean) => {
      const set = closure(f.populate);
      if (on) {
        for (const p of closure([node.path])) set.add(p);
      } else {
        for (const p of [...set]) if (p === node.path || p.startsWith(`${node.path}.`)) set.delete(p);
      }
      changeForm({ populate: leaves(set) });
    };
    const renderNodes = (nodes: PathNode[], depth: number): HTMLElement =>
      h('ul', { class: 'rel-tree', role: depth === 0 ? 'tree' : 'group', 'aria-label': depth === 0 ? `Relations of ${f.root}` : null },
        nodes.map((node) => {
          const id = `pop-${node.path.replace(/\W/g, '_')}`;
          const r = node.relation;
          return h('li', { role: 'treeitem', 'aria-level': depth + 1 },
            h('label', { class: 'rel-item', for: id },
              h('input', { type: 'checkbox', id, checked: ticked.has(node.path), 'data-path': node.path, onChange: (e: Event) => toggle(node, (e.target as HTMLInputElement).checked) }),
              h('span', { class: 'rel-name' }, node.name),
              r ? h('span', { class: `kind kind-${r.kind.replace(':', '')}`, title: kindTitle(r.kind) }, r.kind) : null,
              r ? h('span', { class: 'rel-target muted' }, '→ ', r.target) : null,
              r?.strategy ? h('span', { class: 'badge', title: 'Loading strategy configured on this relation' }, r.strategy) : null,
            ),
            node.children.length ? renderNodes(node.children, depth + 1) : null,
          );
        }),
      );
    const tree = entity ? pathTree(entity, entities.entities) : [];
    const runButton = h('button', { class: 'btn btn-primary btn-block', type: 'submit', 'data-testid': 'run-compare', disabled: !!running }, icon('play', 14), running ? 'Running…' : 'Run comparison');
    const formEl = h('form', { class: 'form', onSubmit: (e: Event) => { e.preventDefault(); void run({ fromUrl: false }); } },
      h('div', { class: 'field' },
        h('label', { for: 'root-entity' }, 'Root entity'),
        h('select', { id: 'root-entity', 'data-testid': 'root-entity', onChange: (e: Event) => changeForm({ root: (e.target as HTMLSelectElement).value, populate: [] }) },
          entities.entities.map((e) => h('option', { value: e.name, selected: e.name === f.root }, `${e.name}  (${e.tableName})`)),
        ),
      ),
      h('div', { class: 'field' },
        h('div', { class: 'field-label' }, 'Populate', h('span', { class: 'muted' }, f.populate.length ? ` · ${f.populate.join(', ')}` : ' · roots only')),
        tree.length ? h('div', { class: 'tree-box' }, renderNodes(tree, 0)) : h('div', { class: 'muted small' }, `${f.root} has no relations.`),
      ),
      h('div', { class: 'field-row' },
        h('div', { class: 'field' },
          h('label', { for: 'limit' }, 'Limit'),
          h('input', { id: 'limit', type: 'number', min: compareLimits.limit.min, max: compareLimits.limit.max, value: f.limit, onChange: (e: Event) => changeForm({ limit: clampInt((e.target as HTMLInputElement).value, compareLimits.limit) }) }),
        ),
        h('div', { class: 'field' },
          h('label', { for: 'repeat', title: 'Measured runs per strategy after one warm-up' }, 'Runs'),
          h('input', { id: 'repeat', type: 'number', min: compareLimits.repeat.min, max: compareLimits.repeat.max, value: f.repeat, onChange: (e: Event) => changeForm({ repeat: clampInt((e.target as HTMLInputElement).value, compareLimits.repeat) }) }),
        ),
      ),
      h('div', { class: 'field' },
        h('label', { for: 'where' }, 'Filter ', h('span', { class: 'muted' }, '(MikroORM where, JSON)')),
        h('input', { id: 'where', type: 'text', class: 'mono', spellcheck: 'false', placeholder: '{"id": {"$lt": 100}}', value: f.where, onChange: (e: Event) => changeForm({ where: (e.target as HTMLInputElement).value }) }),
      ),
      h('div', { class: 'field' },
        h('div', { class: 'field-label' }, 'Strategies'),
        h('div', { class: 'chips' },
          strategyNames.map((name) => h('label', { class: 'chip', title: strategyDescriptions[name] },
            h('input', { type: 'checkbox', checked: f.strategies.includes(name), 'data-strategy': name, onChange: (e: Event) => {
              const on = (e.target as HTMLInputElement).checked;
              const next = strategyNames.filter((s) => (s === name ? on : f.strategies.includes(s)));
              changeForm({ strategies: next.length ? next : [name] });
            } }),
            h('span', { class: 'swatch', style: `background:${strategyColors[name]}` }),
            name,
          )),
        ),
      ),
      h('div', { class: 'field' },
        h('label', { for: 'sweep' }, 'Scaling sweep ', h('span', { class: 'muted' }, '(page sizes)')),
        h('select', { id: 'sweep', onChange: (e: Event) => changeForm({ sweep: (e.target as HTMLSelectElement).value }) },
          [...sweepChoices, ...(sweepChoices.some((c) => c.value === f.sweep) ? [] : [{ value: f.sweep, label: f.sweep.split(',').join(' · ') }])]
            .map((c) => h('option', { value: c.value, selected: c.value === f.sweep }, c.label)),
        ),
      ),
      h('details', { class: 'field more-options', open: optionKeys.some((k) => f[k]) },
        h('summary', null, 'More loading options'),
        optionField('populateWhere', 'populateWhere', 'all, infer, or {"posts": {"id": {"$gt": 10}}}', f.populateWhere, (v) => changeForm({ populateWhere: v })),
        optionField('populateOrderBy', 'populateOrderBy (collections)', '{"posts": {"id": "desc"}}', f.populateOrderBy, (v) => changeForm({ populateOrderBy: v })),
        optionField('fields', 'fields (partial loading)', 'name,posts.title', f.fields, (v) => changeForm({ fields: v })),
        optionField('exclude', 'exclude', 'bio', f.exclude, (v) => changeForm({ exclude: v })),
        optionField('filters', 'filters (by name)', 'active, or {"active": false}', f.filters, (v) => changeForm({ filters: v })),
        h('div', { class: 'field' },
          h('label', { for: 'opt-eager' }, 'eager relations'),
          h('select', { id: 'opt-eager', onChange: (e: Event) => changeForm({ eager: (e.target as HTMLSelectElement).value }) },
            [['', 'honour (as configured)'], ['override', 'override (only when populated)']].map(([value, label]) => h('option', { value, selected: f.eager === value }, label))),
        ),
      ),
      runButton,
      running ? h('button', { class: 'btn btn-ghost btn-block', type: 'button', 'data-testid': 'cancel-compare', onClick: () => running?.abort() }, 'Cancel') : null,
    );
    mount(formHost, formEl);
  };

  const run = async ({ fromUrl }: { fromUrl: boolean }) => {
    if (!form || running) return;
    const f = form;
    let where: Record<string, unknown> | undefined;
    if (f.where.trim()) {
      try {
        where = JSON.parse(f.where) as Record<string, unknown>;
      } catch (error) {
        mount(resultsHost, errorBox('The filter is not valid JSON', `${(error as Error).message}. Write a MikroORM where-object such as {"id": {"$lt": 100}}.`));
        return;
      }
    }
    const controller = new AbortController();
    running = controller;
    renderForm();
    const started = performance.now();
    const live = liveProgress(f.strategies, f.sweep);
    mount(resultsHost, live.element);
    const tick = setInterval(() => live.tick((performance.now() - started) / 1000), 250);
    if (!fromUrl) setParams({ ...paramsFromForm(f), run: null }, { replace: true, silent: true });
    try {
      const body: CompareRequestInput = {
        entity: f.root,
        populate: f.populate,
        ...(where ? { where } : {}),
        limit: f.limit,
        repeat: f.repeat,
        strategies: f.strategies,
        ...(f.sweep ? { sweep: f.sweep.split(',').map(Number) } : {}),
      };
      for (const k of optionKeys) if (f[k].trim()) (body as unknown as Record<string, unknown>)[k] = f[k].trim();
      const result = await compareStream(body, (event) => { if (!destroyed) live.event(event); }, controller.signal);
      performance.mark('relscope:compare-data');
      if (destroyed) return;
      running = null;
      report = result;
      reportKey = requestKey(f);
      ranAt = Date.now();
      save(reportKey, report, ranAt);
      detailStrategy = (currentParams.get('strategy') as StrategyName | null) ?? null;
      if (!detailStrategy || !report.strategies.some((s) => s.strategy === detailStrategy)) detailStrategy = report.strategies[0]?.strategy ?? null;
      const t0 = performance.now();
      renderResults();
      const renderMs = performance.now() - t0;
      performance.mark('relscope:compare-rendered');
      (window as unknown as { __relscope: Record<string, unknown> }).__relscope.compareRenderMs = renderMs;
      setParams({ ...paramsFromForm(f), run: '1' }, { replace: !fromUrl ? false : true, silent: true });
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        if (!destroyed) mount(resultsHost, h('div', { class: 'notice', 'data-testid': 'compare-cancelled' }, 'Comparison cancelled: the server stopped its work (or dropped it from the queue).'));
      } else {
        const message = error instanceof ApiError ? error.message : String(error);
        mount(resultsHost, errorBox('The comparison failed', message, () => void run({ fromUrl: false })));
      }
    } finally {
      clearInterval(tick);
      running = null;
      if (!destroyed) renderForm();
    }
  };

  const renderResults = () => {
    if (!report) return;
    mount(resultsHost, renderReport(report, {
      ranAt,
      running: !!running,
      onRunAgain: () => void run({ fromUrl: false }),
      detailStrategy: detailStrategy ?? report.strategies[0]?.strategy ?? 'select',
      onDetail: (s) => {
        detailStrategy = s;
        setParams({ strategy: s }, { replace: true, silent: true });
      },
    }));
  };

  void loadEntities().then((ok) => {
    if (ok && !destroyed) sync(currentParams);
  });

  return {
    update(route: Route) {
      sync(route.params);
    },
    destroy() {
      destroyed = true;
      running?.abort();
    },
  };
}

function clampInt(raw: string, lim: { min: number; max: number; default: number }): number {
  const v = Math.round(Number(raw));
  if (!Number.isFinite(v)) return lim.default;
  return Math.min(lim.max, Math.max(lim.min, v));
}

function kindTitle(kind: string): string {
  return ({ '1:1': 'one-to-one', 'm:1': 'many-to-one', '1:m': 'one-to-many', 'm:n': 'many-to-many' } as Record<string, string>)[kind] ?? kind;
}

function optionField(id: string, label: string, placeholder: string, value: string, onChange: (v: string) => void): HTMLElement {
  return h('div', { class: 'field' },
    h('label', { for: `opt-${id}` }, label),
    h('input', { id: `opt-${id}`, type: 'text', class: 'mono', spellcheck: 'false', placeholder, value, onChange: (e: Event) => onChange((e.target as HTMLInputElement).value) }));
}

// ---- Live progress (the NDJSON stream) -----------------------------------------------------

/**
 * What the page shows while a comparison streams: its place in the queue, which strategy runs
 * now, each strategy's row the moment it is measured (round trips, median time, runs made),
 * the select loop's predicted round trips before it runs, and the EXPLAIN and sweep progress.
 */
function liveProgress(selected: StrategyName[], sweep: string): { element: HTMLElement; event: (e: CompareEvent) => void; tick: (seconds: number) => void } {
  const order = measureOrder.filter((s) => selected.includes(s));
  const status = h('span', { 'data-testid': 'live-status' }, 'Starting…');
  const elapsed = h('span', { class: 'muted small' }, '');
  const cells = new Map<StrategyName, { row: HTMLElement; state: HTMLElement; trips: HTMLElement; time: HTMLElement; runs: HTMLElement }>();
  const rows = order.map((strategy) => {
    const state = h('td', { class: 'live-state muted' }, 'queued');
    const trips = h('td', { class: 'num' }, '–');
    const time = h('td', { class: 'num' }, '–');
    const runs = h('td', { class: 'muted small' }, '');
    const row = h('tr', { 'data-testid': `live-row-${strategy}`, 'data-state': 'queued' },
      h('th', { scope: 'row' }, h('span', { class: 'swatch', style: `background:${strategyColors[strategy]}` }), ' ', strategy), state, trips, time, runs);
    cells.set(strategy, { row, state, trips, time, runs });
    return row;
  });
  const extra = h('div', { class: 'muted small' }, `Cheap strategies first, the lazy select loop last${sweep ? `; then the sweep over ${sweep.replace(/,/g, ', ')}` : ''}. Cancel stops the server's work.`);
  const element = h('div', { class: 'running live', 'data-testid': 'compare-live' },
    h('div', { class: 'live-head' }, spinner(''), status, elapsed),
    h('table', { class: 'live-table' },
      h('thead', null, h('tr', null, h('th', null, 'Strategy'), h('th', null, 'Now'), h('th', null, 'Round trips'), h('th', null, 'Time (median)'), h('th', null, 'Runs'))),
      h('tbody', null, rows)),
    extra,
  );
  let sweepPoints = 0;
  return {
    element,
    tick(seconds) {
      elapsed.textContent = ` · ${seconds.toFixed(1)} s`;
    },
    event(e) {
      if (e.type === 'queued') {
        status.textContent = e.position > 0 ? `Waiting behind ${e.position} comparison${e.position === 1 ? '' : 's'} (the embedded database runs one at a time)` : 'Starting…';
      } else if (e.type === 'running') {
        status.textContent = `Measuring ${e.strategy}…`;
        const c = cells.get(e.strategy);
        if (c) {
          c.row.dataset.state = 'running';
          c.state.textContent = 'running';
          c.state.className = 'live-state';
          if (e.expectedRoundTrips !== undefined) {
            c.trips.textContent = `${fmtInt(e.expectedRoundTrips)} expected`;
            c.trips.title = e.basis ?? '';
          }
        }
      } else if (e.type === 'strategy') {
        const c = cells.get(e.strategy);
        const r = e.result;
        if (c) {
          c.row.dataset.state = 'done';
          c.state.textContent = r.status === 'ok' ? 'done' : r.status === 'capped' ? 'stopped' : 'error';
          c.state.className = `live-state ${r.status === 'ok' ? 'text-ok' : r.status === 'capped' ? 'text-warn' : 'text-bad'}`;
          c.state.title = r.error ?? r.notes.join(' ');
          const lower = r.status === 'capped' ? '≥ ' : '';
          c.trips.textContent = `${lower}${fmtInt(r.roundTrips)}${r.expectedRoundTrips !== undefined && r.expectedRoundTrips !== r.roundTrips ? ` (${fmtInt(r.expectedRoundTrips)} expected)` : ''}`;
          c.trips.dataset.value = String(r.roundTrips);
          c.time.textContent = r.wallMs.runs.length ? `${lower}${fmtMs(r.wallMs.median)}` : '–';
          c.runs.textContent = r.runs ? `${r.runs.measured} run${r.runs.measured === 1 ? '' : 's'}${r.runs.warmUp ? ' + warm-up' : ''}${r.runs.sharedWith ? `, shared with ${r.runs.sharedWith}` : ''}` : '';
        }
      } else if (e.type === 'explain') {
        status.textContent = `Explaining statements ${e.done}/${e.total}…`;
      } else if (e.type === 'sweep') {
        sweepPoints++;
        status.textContent = `Sweep: ${e.strategy} at page size ${e.point.pageSize} (${sweepPoints} point${sweepPoints === 1 ? '' : 's'})…`;
      }
    },
  };
}

// ---- The report --------------------------------------------------------------------------

const savedKey = 'relscope.last-comparison';

/** The last comparison's report, kept so that a reload does not run it again. */
function save(key: string, report: CompareReport, at: number): void {
  try {
    localStorage.setItem(savedKey, JSON.stringify({ key, at, report }));
  } catch {
    // Too large for the storage quota, or storage disabled: a reload runs it again.
    try {
      localStorage.removeItem(savedKey);
    } catch {
      // nothing to do
    }
  }
}

function loadSaved(key: string): { report: CompareReport; at: number } | null {
  try {
    const raw = localStorage.getItem(savedKey);
    if (!raw) return null;
    const saved = JSON.parse(raw) as { key: string; at: number; report: CompareReport };
    return saved.key === key && saved.report?.version === 1 ? saved : null;
  } catch {
    return null;
  }
}

interface ReportOptions {
  ranAt: number;
  running: boolean;
  onRunAgain: () => void;
  detailStrategy: StrategyName;
  onDetail: (s: StrategyName) => void;
}

export function renderReport(report: CompareReport, options: ReportOptions): HTMLElement {
  const r = report.request;
  const exportMenu = menuButton([icon('download', 15), 'Export'], [
    { label: 'Download Markdown', icon: 'download', testid: 'export-compare-md', action: () => download(`relscope-compare-${r.entity}.md`, compareMarkdown(report), 'text/markdown;charset=utf-8') },
    { label: 'Copy Markdown', icon: 'copy', action: () => copyText(compareMarkdown(report), 'comparison as Markdown') },
    { label: 'Download JSON', icon: 'download', action: () => download(`relscope-compare-${r.entity}.json`, JSON.stringify(report, null, 2), 'application/json') },
    { label: 'Copy link', icon: 'link', action: () => copyText(location.href, 'link') },
  ], { title: 'Export this comparison', testid: 'compare-export' });
  return h('div', { class: 'report', 'data-testid': 'compare-report' },
    h('div', { class: 'report-head' },
      h('div', null,
        h('h2', null, r.entity, r.populate.length ? h('span', { class: 'muted' }, ` · populate ${r.populate.join(', ')}`) : h('span', { class: 'muted' }, ' · roots only')),
        h('div', { class: 'muted small' },
          `limit ${r.limit}${r.offset ? `, offset ${r.offset}` : ''} · ${runsLine(report)} · ${report.database.display} · ${fmtMs(report.timing.totalMs)} in all`,
          Object.keys(r.where).length ? ` · where ${JSON.stringify(r.where)}` : '',
          options.ranAt ? h('span', { title: new Date(options.ranAt).toString(), 'data-testid': 'ran-at' }, ` · ran ${ranAtText(options.ranAt)}`) : null),
      ),
      h('div', { class: 'report-actions' },
        h('button', { class: 'btn', 'data-testid': 'run-again', disabled: options.running, onClick: options.onRunAgain, title: 'Run the same comparison again' }, icon('play', 14), 'Run again'),
        exportMenu,
      ),
    ),
    verdictBanner(report),
    strategyTable(report),
    report.advice.length ? adviceList(report.advice) : null,
    report.sweep ? sweepCharts(report) : null,
    report.notes.length ? h('ul', { class: 'notes' }, report.notes.map((n) => h('li', null, n))) : null,
    statementsSection(report, options),
  );
}

function ranAtText(at: number): string {
  const d = new Date(at);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === new Date().toDateString() ? `at ${time}` : `on ${d.toLocaleDateString('en-GB')} ${time}`;
}

function verdictBanner(report: CompareReport): HTMLElement {
  const v = report.verdict;
  const c = report.correctness;
  return h('div', { class: 'verdict', 'data-testid': 'verdict' },
    h('div', { class: 'verdict-main' },
      v.winner ? h('span', { class: 'winner-pill', style: `--c:${strategyColors[v.winner]}` }, 'Fastest: ', h('b', null, v.winner)) : null,
      !v.winner && v.tied?.length ? h('span', { class: 'winner-pill', title: v.rule ?? '', 'data-testid': 'winner-tie' }, 'Fastest: ', h('b', null, v.sameStatements?.length === v.tied.length ? 'the same statements' : 'no meaningful difference'), ` (${v.tied.join(', ')})`) : null,
      h('span', null, v.sentence),
    ),
    h('ol', { class: 'ranking', 'aria-label': 'Ranking, fastest first (complete strategies only)' }, v.ranking.map((item, i) => h('li', null,
      h('span', { class: 'rank' }, v.tied?.includes(item.strategy) ? '=' : String(i + 1)),
      h('span', { class: 'swatch', style: `background:${strategyColors[item.strategy]}` }), h('span', { class: 'mono' }, item.strategy),
      h('span', { class: 'muted' }, `${fmtMs(item.medianMs)} · ${fmtInt(item.roundTrips)} round trip${item.roundTrips === 1 ? '' : 's'}${item.runs !== undefined ? ` · ${item.runs} run${item.runs === 1 ? '' : 's'}` : ''}`))),
      (v.unranked ?? []).map((u) => h('li', { class: 'unranked', 'data-testid': `unranked-${u.strategy}` },
        h('span', { class: 'rank' }, '–'),
        h('span', { class: 'swatch', style: `background:${strategyColors[u.strategy]}` }), h('span', { class: 'mono' }, u.strategy),
        h('span', { class: 'muted' }, u.reason === 'capped' ? `≥ ${fmtMs(u.lowerBoundMs ?? 0)} · capped, not ranked` : u.reason === 'error' ? 'failed, not ranked' : 'different graph, not ranked')))),
    !c.consistent || c.unchecked?.length
      ? h('div', { class: 'warn-line', 'data-testid': 'correctness' }, icon('warn', 14), ` Correctness: ${correctnessLine(report)}`)
      : null,
  );
}

function bar(value: number, max: number, color: string): HTMLElement {
  const pct = max > 0 ? Math.max(value > 0 ? 2 : 0, (value / max) * 100) : 0;
  return h('div', { class: 'mini-bar' }, h('span', { style: `width:${pct.toFixed(1)}%;background:${color}` }));
}

function strategyTable(report: CompareReport): HTMLElement {
  const list = report.strategies;
  const maxRt = Math.max(...list.map((s) => s.roundTrips));
  const maxMs = Math.max(...list.map((s) => s.wallMs.median));
  const maxRows = Math.max(...list.map((s) => s.rows));
  const winner = report.verdict.winner;
  const cell = (s: StrategyResult, ...children: Child[]) => h('td', { class: `${s.strategy === winner ? 'is-winner' : ''}`, 'data-strategy': s.strategy }, children);
  // One definition per metric; the table (wide screens) and the cards (phones) are drawn from it.
  type Metric = { label: string; title: string; render: (s: StrategyResult) => Child[]; testid?: string };
  const row = (label: string, title: string, render: (s: StrategyResult) => Child[], testid?: string): Metric => ({ label, title, render, testid });
  const heading = (s: StrategyResult): Child[] => [
    h('div', { class: 'strategy-name' }, h('span', { class: 'swatch', style: `background:${strategyColors[s.strategy]}` }), s.strategy),
    s.strategy === winner ? h('span', { class: 'badge badge-ok' }, 'fastest') : null,
    s.status !== 'ok' ? h('span', { class: `badge ${s.status === 'error' ? 'badge-hot' : 'badge-warn'}`, title: s.error ?? '' }, s.status) : null,
  ];
  const metrics: Metric[] = [
        row('Round trips', 'Statements sent by one run', (s) => [
          h('div', { class: 'big', 'data-testid': `round-trips-${s.strategy}`, 'data-value': s.roundTrips }, fmtInt(s.roundTrips)),
          bar(s.roundTrips, maxRt, strategyColors[s.strategy]),
        ], 'row-round-trips'),
        row('Runs', 'Measured runs behind the times (after one warm-up)', (s) => [
          h('div', { 'data-testid': `runs-${s.strategy}` }, s.status === 'error' ? '0' : String(s.runs?.measured ?? s.wallMs.runs.length)),
        ], 'row-runs'),
        row('Time', 'End-to-end load time per run (statements plus hydration): median, and the spread from fastest to slowest run; ≥: capped, a lower bound', (s) => [
          h('div', { class: 'big' }, s.status === 'capped' ? '≥ ' : '', fmtMs(s.wallMs.median)),
          bar(s.wallMs.median, maxMs, strategyColors[s.strategy]),
          h('div', { class: 'muted small nw', title: `runs: ${s.wallMs.runs.map((x) => x.toFixed(1)).join(', ')} ms` }, `${fmtMs(s.wallMs.min)} – ${fmtMs(s.wallMs.max)}`),
          runsStrip(s),
        ]),
        row('SQL time', 'Client wall time of the statements (median run); server time from the plans', (s) => [
          h('div', null, fmtMs(s.statementMs)),
          h('div', { class: 'muted small nw' }, s.serverMs === null ? 'server –' : `server ${s.serverMsEstimated ? '≈' : ''}${fmtMs(s.serverMs)}`),
        ]),
        row('Rows / entities', 'Rows returned by all statements vs distinct entities hydrated; the factor is the most repeated entity type\'s rows per reference (1 = no type repeated)', (s) => [
          h('div', { class: 'nw' }, `${fmtInt(s.rows)} / ${fmtInt(s.entities)}`),
          bar(s.rows, maxRows, strategyColors[s.strategy]),
          h('div', { class: `small nw ${s.duplicationFactor > 1.5 ? 'text-warn' : 'muted'}`, title: 'The most repeated entity type\'s rows per reference' }, `${fmtFactor(s.duplicationFactor)} dup.`),
        ]),
        list.some((s) => s.duplication?.length)
          ? row('Per entity type', 'Rows received carrying each type / distinct entities of it, and rows per reference (≤: via a LEFT JOIN, an upper bound)', (s) => (s.duplication ?? []).map((d) =>
              h('div', { class: `small nw ${(d.factor ?? 1) >= 10 && !d.upperBound ? 'text-warn' : 'muted'}`, 'data-testid': `dup-${s.strategy}-${d.entity}` },
                `${d.entity} ${fmtInt(d.rows)}${d.entities !== null ? ` / ${fmtInt(d.entities)}` : ''}${d.factor !== null ? ` · ${d.upperBound ? '≤' : ''}${fmtFactor(d.factor)}` : ''}`)), 'row-duplication')
          : null,
        list.some((s) => s.relations?.length)
          ? row('By relation', 'Statements, rows, bytes and time per populate path (roots = the roots query); attributed by the lazy loop\'s tags or read from the SQL', (s) => (s.relations ?? []).map((c) =>
              h('div', { class: 'small nw', 'data-testid': `relation-${s.strategy}-${c.path || 'roots'}` },
                h('span', { class: 'mono' }, c.path || 'roots'), ' ',
                c.joinedInto !== undefined && c.statements === 0
                  ? h('span', { class: 'muted' }, `joined into ${c.joinedInto || 'roots'}`)
                  : h('span', { class: 'muted' }, `${fmtInt(c.statements)} stmt · ${fmtInt(c.rows)} rows · ${fmtBytes(c.bytesReceived)} · ${fmtMs(c.ms)}`))), 'row-relations')
          : null,
        row('Buffers', 'Shared buffers hit / read by the explained statements (× statement count)', (s) => [
          s.buffers ? h('div', { class: 'nw' }, fmtInt(s.buffers.sharedHit), h('span', { class: 'muted' }, ` hit · ${fmtInt(s.buffers.sharedRead)} read`)) : h('span', { class: 'muted' }, '–'),
        ]),
        row('Received', 'Bytes received from the server per run, against the bytes of the distinct rows (what select-in received for the same graph)', (s) => [
          h('div', null, fmtBytes(s.bytesReceived)),
          s.bytesDistinct ? h('div', { class: `muted small nw ${s.bytesReceived >= 2 * s.bytesDistinct ? 'text-warn' : ''}` }, `distinct ${fmtBytes(s.bytesDistinct)}`) : null,
        ]),
        list.some((s) => s.notes.length || s.error)
          ? row('Notes', '', (s) => [s.error ? h('div', { class: 'small text-bad' }, s.error.split('\n')[0]) : null, ...s.notes.map((n) => h('div', { class: 'small muted' }, n))])
          : null,
  ].filter((m): m is Metric => m !== null);
  const table = h('div', { class: 'table-scroll strategy-table-wrap' },
    h('table', { class: 'strategy-table', 'data-testid': 'strategy-table' },
      h('thead', null, h('tr', null,
        h('th', null, h('span', { class: 'sr-only' }, 'Metric')),
        list.map((s) => h('th', { scope: 'col', class: s.strategy === winner ? 'is-winner' : '', 'data-strategy': s.strategy, 'data-testid': `strategy-col-${s.strategy}`, title: s.description }, heading(s))),
      )),
      h('tbody', null, metrics.map((m) => h('tr', { 'data-testid': m.testid ?? null }, h('th', { scope: 'row', title: m.title }, m.label), list.map((s) => cell(s, ...m.render(s)))))),
    ),
  );
  // On a phone (styles.css): one card per strategy, its metrics one under the other, instead of
  // a table to scroll sideways. The same figures; the test ids stay on the table's. Only one of
  // the two is displayed at a time, so assistive technology reads the figures once.
  const cards = h('div', { class: 'strategy-cards' },
    list.map((s) => {
      const card = h('article', { class: `strategy-card${s.strategy === winner ? ' is-winner' : ''}`, 'data-strategy': s.strategy, 'aria-label': s.strategy },
        h('header', { class: 'strategy-card-head' }, heading(s), h('p', { class: 'muted small strategy-card-about' }, s.description)),
        h('dl', { class: 'strategy-card-metrics' }, metrics.map((m) => h('div', { class: 'strategy-card-metric' }, h('dt', { title: m.title }, m.label), h('dd', null, m.render(s))))));
      for (const el of card.querySelectorAll('[data-testid]')) el.removeAttribute('data-testid');
      return card;
    }));
  return h('div', { class: 'strategy-results' }, table, cards);
}

function runsStrip(s: StrategyResult): HTMLElement | null {
  if (s.wallMs.runs.length < 2) return null;
  const lo = s.wallMs.min;
  const span = s.wallMs.max - lo || 1;
  return h('div', { class: 'runs-strip', 'aria-hidden': 'true' },
    s.wallMs.runs.map((x) => h('span', { style: `left:${(((x - lo) / span) * 100).toFixed(1)}%;background:${strategyColors[s.strategy]}` })));
}

function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} kB`;
  return `${n} B`;
}

function adviceList(items: AdviceItem[]): HTMLElement {
  return h('section', { class: 'advice', 'aria-label': 'Advice' },
    h('h3', null, 'Advice'),
    items.map((a) => h('div', { class: `advice-item sev-${a.severity}` },
      h('div', { class: 'advice-line' },
        h('span', { class: `badge ${a.severity === 'error' ? 'badge-hot' : a.severity === 'warning' ? 'badge-warn' : ''}` }, a.kind.replace(/-/g, ' ')),
        a.strategy ? h('span', { class: 'swatch', style: `background:${strategyColors[a.strategy]}`, title: a.strategy }) : null,
        h('span', null, a.message),
      ),
      a.suggestedSql ? codeWithCopy(sqlBlock(a.suggestedSql), a.suggestedSql, 'suggested SQL') : null,
      a.suggestedCode ? codeWithCopy(h('pre', { class: 'code-block' }, h('code', null, a.suggestedCode)), a.suggestedCode, 'suggested code') : null,
    )),
  );
}

function codeWithCopy(block: HTMLElement, text: string, what: string): HTMLElement {
  return h('div', { class: 'code-wrap' }, block, h('button', { class: 'btn btn-ghost btn-icon copy-btn', 'aria-label': `Copy ${what}`, title: `Copy ${what}`, onClick: () => void copyText(text, what).catch((e: Error) => toast(e.message, 'error')) }, icon('copy', 14)));
}

function sweepCharts(report: CompareReport): HTMLElement {
  const sweep = report.sweep!;
  const series = (value: (p: SweepPoint) => number) =>
    sweep.series.map((se) => ({
      name: se.strategy,
      color: strategyColors[se.strategy],
      points: se.points.map((p) => ({ x: p.pageSize, y: p.status === 'error' ? null : value(p), note: p.status !== 'ok' ? p.status : p.roots < p.pageSize ? `${p.roots} roots` : undefined })),
    }));
  return h('section', { class: 'sweep', 'aria-label': 'Scaling sweep', 'data-testid': 'sweep' },
    h('div', { class: 'section-head' },
      h('h3', null, 'Scaling sweep'),
      h('span', { class: 'muted small' }, `page sizes ${sweep.pageSizes.join(', ')} · median of ${sweep.repeat} run${sweep.repeat > 1 ? 's' : ''} · ${fmtMs(sweep.tookMs)}`),
      legend(sweep.series.map((se) => ({ name: se.strategy, color: strategyColors[se.strategy] }))),
    ),
    h('div', { class: 'charts' },
      lineChart({ title: 'Round trips', xLabel: 'page size', yLabel: 'round trips', series: series((p) => p.roundTrips), logX: true, logY: true }),
      lineChart({ title: 'Time', xLabel: 'page size', yLabel: 'ms', series: series((p) => p.wallMs), logX: true, logY: true, format: (y) => (y >= 1000 ? `${y / 1000}s` : y >= 1 ? `${y}` : y.toString()) }),
    ),
  );
}

function statementsSection(report: CompareReport, options: ReportOptions): HTMLElement {
  const list = report.strategies;
  // Switching strategies swaps this panel only; the rest of the report stays as it is.
  const panel = h('div', { id: 'statements-panel', role: 'tabpanel' });
  const tabButtons = new Map<StrategyName, HTMLButtonElement>();
  const expandAll = h('button', { class: 'btn btn-sm btn-ghost', 'data-testid': 'expand-all-plans', onClick: () => {
    const toggles = [...panel.querySelectorAll<HTMLButtonElement>('[data-testid="plan-toggle"]:not(:disabled)')];
    const open = toggles.some((t) => t.getAttribute('aria-expanded') !== 'true');
    for (const t of toggles) if ((t.getAttribute('aria-expanded') === 'true') !== open) t.click();
    expandAll.textContent = open ? 'Collapse all plans' : 'Expand all plans';
  } }, 'Expand all plans');
  const show = (s: StrategyResult, notify: boolean) => {
    for (const [name, button] of tabButtons) {
      button.setAttribute('aria-selected', String(name === s.strategy));
      button.tabIndex = name === s.strategy ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${s.strategy}`);
    panel.dataset.testid = `statements-${s.strategy}`;
    mount(panel,
      h('p', { class: 'muted small' }, s.description),
      s.groups.map((g) => statementCard(s, g)),
      s.statementsTruncated ? h('div', { class: 'notice' }, 'Only the first 500 statements were captured.') : null,
    );
    expandAll.textContent = 'Expand all plans';
    if (notify) options.onDetail(s.strategy);
  };
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Statements per strategy' },
    list.map((s, i) => {
      const button = h('button', {
          class: 'tab', role: 'tab', id: `tab-${s.strategy}`, 'aria-controls': 'statements-panel', 'data-testid': `statements-tab-${s.strategy}`,
          onClick: () => show(s, true),
          onKeydown: (e: KeyboardEvent) => {
            const next = e.key === 'ArrowRight' ? list[(i + 1) % list.length] : e.key === 'ArrowLeft' ? list[(i - 1 + list.length) % list.length] : null;
            if (next) {
              show(next, true);
              tabButtons.get(next.strategy)?.focus();
            }
          },
        },
        h('span', { class: 'swatch', style: `background:${strategyColors[s.strategy]}` }), s.strategy,
        h('span', { class: 'tab-count', title: 'Statement groups' }, `${s.groups.length}`),
      );
      tabButtons.set(s.strategy, button);
      return button;
    }),
  );
  const first = list.find((s) => s.strategy === options.detailStrategy) ?? list[0];
  if (first) show(first, false);
  return h('section', { class: 'statements', 'aria-label': 'Statements' },
    h('div', { class: 'section-head' }, h('h3', null, 'Statements and plans'), h('span', { class: 'muted small' }, 'Statements that differ only in literal values are grouped; each group shows its first statement and that statement’s plan.'), h('span', { class: 'spacer' }), expandAll),
    tabs,
    panel,
  );
}

const explainStatusText: Record<string, string> = {
  analyzed: 'EXPLAIN ANALYZE',
  estimated: 'estimates only',
  'timed-out': 'timed out',
  refused: 'not explained',
  error: 'EXPLAIN failed',
  skipped: 'not explained',
};

function statementCard(s: StrategyResult, g: StatementGroup): HTMLElement {
  const e = g.explain;
  const planHost = h('div', { class: 'plan-host', hidden: true });
  let planRendered = false;
  const title = `${s.strategy} · ${g.id}${g.path ? ` · ${g.path}` : ''}`;
  const toggle = h('button', { class: 'btn btn-sm plan-toggle', 'aria-expanded': 'false', 'data-testid': 'plan-toggle', disabled: !e.plan && !e.raw }, icon('chevron', 14), 'Plan');
  toggle.addEventListener('click', () => {
    const open = planHost.hidden;
    if (open && !planRendered) {
      planHost.appendChild(planPanel(planFromExplain(e), { title, sql: g.sql, raw: e.raw }));
      planRendered = true;
    }
    planHost.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  });
  const slow = e.slowestNode;
  return h('article', { class: 'statement', 'data-group': g.id },
    h('header', { class: 'statement-head' },
      h('span', { class: 'stmt-id' }, g.id),
      h('span', { class: `count ${g.count > 1 ? 'count-many' : ''}`, title: 'Statements in this group in one run' }, `×${fmtInt(g.count)}`),
      g.path !== undefined ? h('span', { class: 'badge' }, g.path === '' ? 'roots' : g.path) : null,
      h('span', { class: 'muted small' }, `${fmtMs(g.totalMs)} total · max ${fmtMs(g.maxMs)} · ${fmtInt(g.rows)} rows · ${fmtBytes(g.bytesReceived)}`),
      h('span', { class: 'spacer' }),
      h('button', { class: 'btn btn-ghost btn-icon', title: 'Copy SQL', 'aria-label': `Copy the SQL of ${g.id}`, onClick: () => void copyText(formatSql(g.sql), 'SQL').catch((err: Error) => toast(err.message, 'error')) }, icon('copy', 14)),
    ),
    h('div', { class: 'sql-wrap' }, sqlBlock(g.sql)),
    h('div', { class: 'statement-foot' },
      toggle,
      h('span', { class: `small ${e.status === 'analyzed' ? 'muted' : 'text-warn'}`, title: e.error ?? '' },
        explainStatusText[e.status] ?? e.status,
        e.executionMs !== undefined ? ` · ${fmtMs(e.executionMs)} execution` : '',
        e.buffers ? ` · ${fmtInt(e.buffers.sharedHit)} hit / ${fmtInt(e.buffers.sharedRead)} read` : '',
        e.error ? ` · ${e.error}` : ''),
      slow ? h('span', { class: 'small slow-hint' }, 'slowest: ', h('b', null, slow.label), slow.exclusivePercent !== undefined ? ` (${Math.round(slow.exclusivePercent)}%)` : '') : null,
    ),
    planHost,
  );
}
