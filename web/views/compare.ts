/**
 * The loading-strategy comparison: pick a root entity, tick relations in its tree, run.
 * Strategies side by side, the verdict and advice, the scaling sweep as charts, and every
 * statement's SQL with its plan.
 */
import { h, icon, mount, fmtMs, fmtInt, fmtFactor, type Child } from '../dom.ts';
import { api, ApiError } from '../api.ts';
import { setParams, type Route } from '../route.ts';
import { errorBox, spinner, toast, download, copyText, menuButton } from '../ui.ts';
import { sqlBlock, formatSql } from '../sql.ts';
import { planFromExplain } from '../plan-model.ts';
import { planPanel } from './plan.ts';
import { lineChart, legend } from '../chart.ts';
import { formatMarkdown as compareMarkdown } from '../../common/lab-format.ts';
import { strategyNames, strategyDescriptions, compareLimits } from '../../common/lab-types.ts';
import type { CompareReport, EntitiesResponse, EntityInfo, EntityRelationInfo, StrategyName, StrategyResult, StatementGroup, AdviceItem, SweepPoint } from '../../common/lab-types.ts';
import type { ViewInstance } from '../view.ts';

export const strategyColors: Record<StrategyName, string> = {
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
}

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
    sweep: params.has('sweep') ? (params.get('sweep') ?? '') : '1,10,100',
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
    sweep: f.sweep === '1,10,100' ? null : f.sweep,
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
  mount(container, h('div', { class: 'compare-view' }, formHost, resultsHost));

  const showIntro = () => {
    mount(resultsHost, h('div', { class: 'empty-state' },
      h('div', { class: 'empty-icon' }, icon('play', 28)),
      h('h2', null, 'Compare loading strategies'),
      h('p', null, 'Pick a root entity, tick the relations to populate, and run. relscope loads the same page of entities with every strategy, counts round trips, times them, and explains each statement.'),
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
      runButton,
      running ? h('button', { class: 'btn btn-ghost btn-block', type: 'button', onClick: () => running?.abort() }, 'Cancel') : null,
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
    const status = h('span', null, 'Running the comparison…');
    const progress = h('div', { class: 'running' }, spinner(''), status,
      h('div', { class: 'muted small' }, `${f.strategies.length} strategies × ${f.repeat + 1} runs${f.sweep ? `, sweep over ${f.sweep.replace(/,/g, ', ')}` : ''}, each statement explained.`));
    mount(resultsHost, progress);
    const tick = setInterval(() => { status.textContent = `Running the comparison… ${((performance.now() - started) / 1000).toFixed(1)} s`; }, 250);
    if (!fromUrl) setParams({ ...paramsFromForm(f), run: null }, { replace: true, silent: true });
    try {
      const body = {
        entity: f.root,
        populate: f.populate,
        ...(where ? { where } : {}),
        limit: f.limit,
        repeat: f.repeat,
        strategies: f.strategies,
        ...(f.sweep ? { sweep: f.sweep.split(',').map(Number) } : {}),
      };
      const result = await api.compare(body, controller.signal);
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
        mount(resultsHost, h('div', { class: 'notice' }, 'Comparison cancelled. (The server finishes the run it started.)'));
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
          `limit ${r.limit}${r.offset ? `, offset ${r.offset}` : ''} · ${r.repeat} run${r.repeat === 1 ? '' : 's'} per strategy · ${report.database.display} · ${fmtMs(report.timing.totalMs)} in all`,
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
      h('span', null, v.sentence),
    ),
    h('ol', { class: 'ranking', 'aria-label': 'Ranking, fastest first' }, v.ranking.map((item, i) => h('li', null,
      h('span', { class: 'rank' }, String(i + 1)),
      h('span', { class: 'swatch', style: `background:${strategyColors[item.strategy]}` }), h('span', { class: 'mono' }, item.strategy),
      h('span', { class: 'muted' }, `${fmtMs(item.medianMs)} · ${fmtInt(item.roundTrips)} round trip${item.roundTrips === 1 ? '' : 's'}`)))),
    !c.consistent
      ? h('div', { class: 'warn-line' }, icon('warn', 14), ` Strategies did not load the same graph (reference ${c.reference ?? '–'}): `, c.differences.map((d) => `${d.strategy}${d.path ? ` at ${d.path}` : ''}: ${d.message}`).join('; '))
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
  const row = (label: string, title: string, render: (s: StrategyResult) => Child[], testid?: string) =>
    h('tr', { 'data-testid': testid ?? null }, h('th', { scope: 'row', title }, label), list.map((s) => cell(s, ...render(s))));
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'strategy-table', 'data-testid': 'strategy-table' },
      h('thead', null, h('tr', null,
        h('th', null, h('span', { class: 'sr-only' }, 'Metric')),
        list.map((s) => h('th', { scope: 'col', class: s.strategy === winner ? 'is-winner' : '', 'data-strategy': s.strategy, 'data-testid': `strategy-col-${s.strategy}`, title: s.description },
          h('div', { class: 'strategy-name' }, h('span', { class: 'swatch', style: `background:${strategyColors[s.strategy]}` }), s.strategy),
          s.strategy === winner ? h('span', { class: 'badge badge-ok' }, 'fastest') : null,
          s.status !== 'ok' ? h('span', { class: `badge ${s.status === 'error' ? 'badge-hot' : 'badge-warn'}`, title: s.error ?? '' }, s.status) : null,
        )),
      )),
      h('tbody', null,
        row('Round trips', 'Statements sent by one run', (s) => [
          h('div', { class: 'big', 'data-testid': `round-trips-${s.strategy}`, 'data-value': s.roundTrips }, fmtInt(s.roundTrips)),
          bar(s.roundTrips, maxRt, strategyColors[s.strategy]),
        ], 'row-round-trips'),
        row('Time', 'End-to-end load time per run (statements plus hydration): median, and the spread from fastest to slowest run', (s) => [
          h('div', { class: 'big' }, fmtMs(s.wallMs.median)),
          bar(s.wallMs.median, maxMs, strategyColors[s.strategy]),
          h('div', { class: 'muted small nw', title: `runs: ${s.wallMs.runs.map((x) => x.toFixed(1)).join(', ')} ms` }, `${fmtMs(s.wallMs.min)} – ${fmtMs(s.wallMs.max)}`),
          runsStrip(s),
        ]),
        row('SQL time', 'Client wall time of the statements (median run); server time from the plans', (s) => [
          h('div', null, fmtMs(s.statementMs)),
          h('div', { class: 'muted small nw' }, s.serverMs === null ? 'server –' : `server ${s.serverMsEstimated ? '≈' : ''}${fmtMs(s.serverMs)}`),
        ]),
        row('Rows / entities', 'Rows returned by all statements vs distinct entities hydrated; the factor is duplication (rows carrying repeated parent data)', (s) => [
          h('div', { class: 'nw' }, `${fmtInt(s.rows)} / ${fmtInt(s.entities)}`),
          bar(s.rows, maxRows, strategyColors[s.strategy]),
          h('div', { class: `small nw ${s.duplicationFactor > 1.5 ? 'text-warn' : 'muted'}`, title: 'Duplication factor: rows per entity' }, `${fmtFactor(s.duplicationFactor)} dup.`),
        ]),
        row('Buffers', 'Shared buffers hit / read by the explained statements (× statement count)', (s) => [
          s.buffers ? h('div', { class: 'nw' }, fmtInt(s.buffers.sharedHit), h('span', { class: 'muted' }, ` hit · ${fmtInt(s.buffers.sharedRead)} read`)) : h('span', { class: 'muted' }, '–'),
        ]),
        row('Received', 'Bytes received from the server per run', (s) => [h('div', null, fmtBytes(s.bytesReceived))]),
        list.some((s) => s.notes.length || s.error)
          ? row('Notes', '', (s) => [s.error ? h('div', { class: 'small text-bad' }, s.error) : null, ...s.notes.map((n) => h('div', { class: 'small muted' }, n))])
          : null,
      ),
    ),
  );
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
      planHost.appendChild(planPanel(planFromExplain(e), { title, sql: g.sql }));
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
