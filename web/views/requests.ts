/**
 * Requests traced in the user's app by relscope/trace, live (server-sent events from
 * /api/requests/stream): the list as requests arrive, and for the chosen one its findings
 * (N+1, duplicates) with call sites and fixes, a statement timeline, and each statement's SQL,
 * parameters (when the tracer keeps them), relation and call site. An N+1 on a relation opens
 * the strategy lab pre-filled with its root entity and populate path.
 */
import { h, mount, fmtMs, fmtInt } from '../dom.ts';
import { hrefFor, navigate, setParams, type Route } from '../route.ts';
import { sqlBlock } from '../sql.ts';
import type { TraceFinding, TracedRequest, TracedRequestsState, TraceStatement } from '../../common/trace-types.ts';
import type { ViewInstance } from '../main.ts';

const css = `
.rq { display: grid; grid-template-columns: minmax(260px, 360px) 1fr; gap: 16px; padding: 16px; min-height: 0; height: 100%; box-sizing: border-box; }
.rq-side { display: flex; flex-direction: column; gap: 8px; min-height: 0; }
.rq-bar { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; font-size: 13px; }
.rq-list { list-style: none; margin: 0; padding: 0; overflow: auto; border: 1px solid var(--border); border-radius: var(--radius-sm, 6px); background: var(--surface); flex: 1; min-height: 120px; }
.rq-item { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; padding: 8px 10px; border-bottom: 1px solid var(--border); cursor: pointer; font-size: 13px; }
.rq-item:hover { background: var(--surface-2); }
.rq-item[aria-selected="true"] { background: var(--accent-weak); }
.rq-item .rq-name { font-family: var(--mono, monospace); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rq-main { min-width: 0; overflow: auto; }
.rq-main h2 { margin: 0 0 4px; font-size: 18px; font-family: var(--mono, monospace); }
.rq-finding { padding: 10px 12px; border: 1px solid var(--border); border-left: 3px solid var(--warn); border-radius: var(--radius-sm, 6px); margin: 8px 0; background: var(--surface); }
.rq-finding.kind-duplicate { border-left-color: var(--muted); }
.rq-finding .rq-fix { margin-top: 6px; font-size: 13px; }
.rq-site { font-family: var(--mono, monospace); font-size: 12px; color: var(--muted); word-break: break-all; }
.rq-timeline { position: relative; border: 1px solid var(--border); border-radius: var(--radius-sm, 6px); background: var(--surface); margin: 8px 0 14px; padding: 6px 0; }
.rq-row { position: relative; height: 14px; margin: 2px 8px; }
.rq-barseg { position: absolute; top: 2px; height: 10px; min-width: 2px; border-radius: 2px; background: var(--accent); }
.rq-barseg.hot { background: var(--warn); }
.rq-stmt { border: 1px solid var(--border); border-radius: var(--radius-sm, 6px); margin: 8px 0; background: var(--surface); }
.rq-stmt.hot { border-left: 3px solid var(--warn); }
.rq-stmt-head { display: flex; gap: 10px; flex-wrap: wrap; align-items: baseline; padding: 6px 10px; font-size: 12.5px; border-bottom: 1px solid var(--border); }
.rq-stmt pre { margin: 0; padding: 8px 10px; overflow: auto; font-size: 12px; }
.rq-params { padding: 0 10px 8px; font-family: var(--mono, monospace); font-size: 12px; color: var(--muted); word-break: break-all; }
.rq-dropped { color: var(--warn); }
`;

function ensureStyle(): void {
  if (document.getElementById('rq-style')) return;
  document.head.appendChild(h('style', { id: 'rq-style' }, css));
}

function site(f: { callSite?: { file: string; line: number; column: number } }): string {
  return f.callSite ? `${f.callSite.file}:${f.callSite.line}:${f.callSite.column}` : '';
}

function sqlMs(r: TracedRequest): number {
  return r.statements.reduce((sum, s) => sum + s.ms, 0);
}

/** The lab link of an N+1: root entity and populate path as the Strategies view reads them. */
export function labParams(f: TraceFinding): Record<string, string> | undefined {
  if (f.kind !== 'n-plus-one' || !f.lab) return undefined;
  return { root: f.lab.root, populate: f.lab.populate.join(',') };
}

export function requestsView(container: HTMLElement): ViewInstance {
  ensureStyle();
  const requests: TracedRequest[] = [];
  let dropped: TracedRequestsState['dropped'] = { byTracers: 0, byServer: 0 };
  let selected: number | null = null;
  let findingsOnly = false;
  let status: 'connecting' | 'live' | 'reconnecting' = 'connecting';

  const list = h('ul', { class: 'rq-list', role: 'listbox', 'aria-label': 'Traced requests', 'data-testid': 'requests-list' });
  const statusEl = h('span', { class: 'muted small', 'data-testid': 'requests-status' });
  const droppedEl = h('span', { class: 'small', 'data-testid': 'requests-dropped' });
  const countEl = h('span', { class: 'muted small', 'data-testid': 'requests-count' });
  const filter = h('input', { type: 'checkbox', 'data-testid': 'requests-filter' }) as HTMLInputElement;
  filter.addEventListener('change', () => {
    findingsOnly = filter.checked;
    setParams({ findings: findingsOnly ? '1' : null }, { replace: true, silent: true });
    renderList();
  });
  const main = h('section', { class: 'rq-main', 'aria-live': 'polite', 'data-testid': 'request-detail' });

  mount(container, h('div', { class: 'rq' },
    h('div', { class: 'rq-side' },
      h('div', { class: 'rq-bar' },
        h('label', { class: 'chip' }, filter, 'Only with findings'),
        countEl,
      ),
      h('div', { class: 'rq-bar' }, statusEl, droppedEl),
      list,
    ),
    main,
  ));

  const renderStatus = () => {
    statusEl.textContent = status === 'live' ? '● live' : status === 'connecting' ? 'connecting…' : 'reconnecting…';
    const total = dropped.byTracers + dropped.byServer;
    droppedEl.textContent = total ? `${fmtInt(total)} dropped` : '';
    droppedEl.className = total ? 'small rq-dropped' : 'small';
    droppedEl.title = total ? `${dropped.byTracers} dropped by tracers (their buffer was full while this server was away), ${dropped.byServer} let go of by this server (it keeps the newest 500)` : '';
  };

  const visible = () => (findingsOnly ? requests.filter((r) => r.findings.length) : requests);

  function renderList(): void {
    const items = visible().slice().reverse();
    countEl.textContent = `${fmtInt(items.length)} of ${fmtInt(requests.length)}`;
    list.replaceChildren(...items.map((r) => {
      const nPlusOne = r.findings.filter((f) => f.kind === 'n-plus-one').length;
      const dup = r.findings.filter((f) => f.kind === 'duplicate').length;
      const li = h('li', { class: 'rq-item', role: 'option', 'aria-selected': String(r.n === selected), 'data-n': r.n, 'data-testid': 'request-item' },
        h('span', { class: 'rq-name', title: r.name }, r.name),
        h('span', null, nPlusOne ? h('span', { class: 'badge badge-warn' }, `N+1 ×${nPlusOne}`) : null, dup ? h('span', { class: 'badge' }, `dup ×${dup}`) : null),
        h('span', { class: 'muted small' }, `${fmtInt(r.statements.length)} statements · ${fmtMs(sqlMs(r))} SQL`),
        h('span', { class: 'muted small' }, r.status ? String(r.status) : ''),
      );
      li.addEventListener('click', () => select(r.n));
      return li;
    }));
    if (!items.length) list.replaceChildren(h('li', { class: 'muted small', style: 'padding: 12px' }, requests.length ? 'No request with findings yet.' : 'Waiting for requests from relscope/trace…'));
  }

  function select(n: number | null, push = true): void {
    selected = n;
    if (push) setParams({ n: n ?? null }, { silent: true });
    renderList();
    renderDetail();
  }

  function findingBox(f: TraceFinding): HTMLElement {
    const lab = labParams(f);
    return h('div', { class: `rq-finding kind-${f.kind}`, 'data-testid': 'finding' },
      h('div', null, h('span', { class: f.kind === 'n-plus-one' ? 'badge badge-warn' : 'badge' }, f.kind === 'n-plus-one' ? 'N+1' : f.kind), ' ', f.relation ? h('strong', null, f.relation) : null, ` · ${fmtInt(f.count)} statements · ${fmtMs(f.totalMs)}`),
      h('div', { class: 'small', style: 'margin-top: 4px' }, f.message),
      f.callSite ? h('div', { class: 'rq-site', 'data-testid': 'finding-site' }, site(f)) : null,
      lab ? h('div', { class: 'rq-fix' },
        h('a', {
          class: 'btn btn-sm btn-primary', href: hrefFor('compare', lab), 'data-testid': 'compare-load',
          onClick: (event: MouseEvent) => { event.preventDefault(); navigate('compare', lab); },
        }, 'Compare strategies for this load'),
      ) : null,
    );
  }

  function statementBox(s: TraceStatement, hot: boolean): HTMLElement {
    return h('div', { class: `rq-stmt${hot ? ' hot' : ''}`, 'data-testid': 'statement' },
      h('div', { class: 'rq-stmt-head' },
        h('strong', null, `#${s.seq + 1}`),
        h('span', null, fmtMs(s.ms)),
        h('span', { class: 'muted' }, s.rows === null ? '' : `${fmtInt(s.rows)} rows`),
        s.relation ? h('span', { class: 'badge' }, s.relation) : null,
        s.via ? h('span', { class: 'muted' }, s.via) : null,
        s.callSite ? h('span', { class: 'rq-site' }, site(s)) : null,
        s.error ? h('span', { class: 'small text-bad' }, s.error) : null,
      ),
      sqlBlock(s.sql),
      s.params ? h('div', { class: 'rq-params' }, `params: ${JSON.stringify(s.params)}`) : s.paramCount ? h('div', { class: 'rq-params' }, `${s.paramCount} parameters (redacted; attach(orm, { params: true }) keeps them)`) : null,
    );
  }

  function renderDetail(): void {
    const r = requests.find((x) => x.n === selected) ?? null;
    if (!r) {
      mount(main, h('div', { class: 'empty-state' },
        h('p', { class: 'big' }, 'Requests'),
        h('p', { class: 'muted' }, 'Statements your app sends, one request at a time, with N+1 and duplicate findings. Add to your app:'),
        h('pre', { class: 'mono small' }, "import { attach } from 'relscope/trace';\nconst tracer = attach(orm);\napp.use(tracer.hono()); // or .express(), .koa()"),
      ));
      return;
    }
    const hot = new Set(r.findings.filter((f) => f.kind === 'n-plus-one').flatMap((f) => f.statements));
    const span = Math.max(r.durationMs, ...r.statements.map((s) => s.startMs + s.ms), 0.001);
    const timeline = h('div', { class: 'rq-timeline', 'aria-label': 'Statement timeline', 'data-testid': 'timeline' },
      r.statements.slice(0, 400).map((s) => h('div', { class: 'rq-row', title: `#${s.seq + 1} ${fmtMs(s.ms)} at ${fmtMs(s.startMs)}: ${s.sql.slice(0, 120)}` },
        h('span', { class: `rq-barseg${hot.has(s.seq) ? ' hot' : ''}`, style: `left: ${((s.startMs / span) * 100).toFixed(3)}%; width: ${((s.ms / span) * 100).toFixed(3)}%` }))),
    );
    mount(main,
      h('h2', null, r.name),
      h('p', { class: 'muted small' }, `${r.status ? `${r.status} · ` : ''}${fmtMs(r.durationMs)} in all, ${fmtMs(sqlMs(r))} in ${fmtInt(r.statements.length)} statements · ${r.source.app} (pid ${r.source.pid}) · ${new Date(r.startedAt).toLocaleTimeString()}${r.statementsDropped ? ` · ${r.statementsDropped} more statements not kept` : ''}`),
      r.findings.length ? r.findings.map(findingBox) : h('p', { class: 'muted' }, 'No N+1 or duplicate statements in this request.'),
      h('h3', null, 'Timeline'),
      timeline,
      h('h3', null, 'Statements'),
      r.statements.slice(0, 400).map((s) => statementBox(s, hot.has(s.seq))),
      r.statements.length > 400 ? h('p', { class: 'muted small' }, `${r.statements.length - 400} more statements not shown.`) : null,
    );
  }

  let source: EventSource | null = null;
  function connect(): void {
    source = new EventSource('/api/requests/stream');
    source.addEventListener('open', () => { status = 'live'; renderStatus(); });
    source.addEventListener('error', () => { status = 'reconnecting'; renderStatus(); });
    source.addEventListener('state', (event) => {
      const state = JSON.parse((event as MessageEvent<string>).data) as TracedRequestsState;
      requests.splice(0, requests.length, ...state.requests);
      dropped = state.dropped;
      status = 'live';
      renderStatus();
      renderList();
      renderDetail();
      window.__relscope.requests = requests.length;
    });
    source.addEventListener('request', (event) => {
      const r = JSON.parse((event as MessageEvent<string>).data) as TracedRequest;
      requests.push(r);
      if (requests.length > 500) requests.shift();
      renderList();
      if (selected === null || selected === r.n) renderDetail();
      window.__relscope.requests = requests.length;
    });
    source.addEventListener('dropped', (event) => {
      dropped = JSON.parse((event as MessageEvent<string>).data) as TracedRequestsState['dropped'];
      renderStatus();
    });
  }
  renderStatus();
  connect();

  return {
    update(route: Route) {
      findingsOnly = route.params.get('findings') === '1';
      filter.checked = findingsOnly;
      const n = Number(route.params.get('n'));
      selected = route.params.has('n') && Number.isInteger(n) ? n : null;
      renderList();
      renderDetail();
    },
    destroy() {
      source?.close();
      source = null;
    },
  };
}
