/**
 * The page shell: header (views, database, theme), and the view named by the URL.
 * Views are plain functions that build DOM; Mermaid is loaded only for a diagram export,
 * through a dynamic import; the diagram on screen is drawn by the page itself.
 */
import { h, icon, mount } from './dom.ts';
import { sharedHealth, type Health } from './api.ts';
import { currentRoute, navigate, onRouteChange, remember, type Route, type View } from './route.ts';
import { currentTheme, onThemeChange, setThemeMode, themeMode, type ThemeMode } from './theme.ts';
import { diagramView } from './views/diagram.ts';
import { compareView } from './views/compare.ts';
import { requestsView } from './views/requests.ts';
import { notFoundView } from './views/not-found.ts';
import { errorBox } from './ui.ts';
import type { ViewInstance } from './view.ts';

// Views import ViewInstance from ./view.ts, not from here (no import cycle with the shell).
// Kept re-exported until every view has moved its import.
export type { ViewInstance } from './view.ts';

declare global {
  interface Window {
    /** Timings and state for the end-to-end tests and the benchmark. */
    __relscope: Record<string, unknown>;
  }
}
window.__relscope = { startedAt: performance.now() };

const app = document.getElementById('app')!;
const viewHost = h('main', { id: 'view', class: 'view', tabindex: '-1' });

// Each link has an icon; on a phone only the current view keeps its label (styles.css), so
// the others are named by aria-label.
const navLink = (view: View, label: string, iconName: string) => {
  const a = h('a', { href: `/${view}`, class: 'nav-link', 'data-view': view, 'aria-label': label },
    h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, icon(iconName, 16)),
    h('span', { class: 'nav-label' }, label));
  a.addEventListener('click', (event) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    // Keep each view's own options when switching back to it.
    let remembered = '';
    try {
      remembered = sessionStorage.getItem(`relscope.params.${view}`) ?? '';
    } catch {
      // no storage: start the view with its defaults
    }
    navigate(view, new URLSearchParams(remembered));
  });
  return a;
};

const dbPill = h('div', { class: 'db-pill', title: 'Database' }, h('span', { class: 'dot dot-wait' }), h('span', null, 'connecting…'));
const themeButton = h('button', { class: 'btn btn-ghost btn-icon', 'data-testid': 'theme-toggle' });
const renderThemeButton = () => {
  const mode = themeMode();
  const next: Record<ThemeMode, ThemeMode> = { auto: 'light', light: 'dark', dark: 'auto' };
  themeButton.replaceChildren(icon(mode === 'auto' ? 'auto' : mode === 'light' ? 'sun' : 'moon', 18));
  const label = `Theme: ${mode === 'auto' ? `system (${currentTheme()})` : mode}. Switch to ${next[mode]}.`;
  themeButton.title = label;
  themeButton.setAttribute('aria-label', label);
  themeButton.onclick = () => {
    setThemeMode(next[mode]);
    renderThemeButton();
  };
};
renderThemeButton();
onThemeChange(renderThemeButton);

const header = h('header', { class: 'topbar' },
  h('a', { href: '/diagram', class: 'brand', 'aria-label': 'relscope home' },
    h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('table', 18)),
    h('span', { class: 'brand-name' }, 'relscope'),
  ),
  h('nav', { class: 'nav', 'aria-label': 'Views' }, navLink('diagram', 'Schema', 'diagram'), navLink('compare', 'Strategies', 'bars'), navLink('requests', 'Requests', 'list')),
  h('div', { class: 'spacer' }),
  dbPill,
  themeButton,
);

mount(app, h('a', { href: '#view', class: 'skip-link' }, 'Skip to content'), header, viewHost);

async function loadHealth(): Promise<void> {
  try {
    const health: Health = await sharedHealth();
    const tables = Object.keys(health.tables).length;
    dbPill.replaceChildren(
      h('span', { class: 'dot dot-ok' }),
      h('span', { class: 'db-name' }, health.database.label ?? health.database.display),
      h('span', { class: 'muted' }, `PG ${health.database.serverVersion.split(' ')[0]} · ${health.project} · ${tables} tables`),
    );
    dbPill.title = `${health.database.display} (PostgreSQL ${health.database.serverVersion}), ${health.project}`;
  } catch (error) {
    dbPill.replaceChildren(h('span', { class: 'dot dot-bad' }), h('span', null, 'database unavailable'));
    dbPill.title = (error as Error).message;
  }
}
void loadHealth();

let current: { view: View; instance: ViewInstance } | null = null;

function show(route: Route): void {
  remember();
  for (const link of header.querySelectorAll<HTMLAnchorElement>('.nav-link')) {
    const active = link.dataset.view === route.view;
    link.classList.toggle('active', active);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = route.view === 'compare' ? 'Strategies · relscope' : route.view === 'requests' ? 'Requests · relscope' : route.view === 'notfound' ? 'Not found · relscope' : 'Schema · relscope';
  if (current && current.view === route.view) {
    current.instance.update(route);
    return;
  }
  current?.instance.destroy();
  const container = h('div', { class: 'view-inner' });
  mount(viewHost, container);
  try {
    const instance = route.view === 'compare' ? compareView(container) : route.view === 'requests' ? requestsView(container) : route.view === 'notfound' ? notFoundView(container) : diagramView(container);
    current = { view: route.view, instance };
    instance.update(route);
  } catch (error) {
    current = null;
    mount(viewHost, errorBox('This view failed to open', (error as Error).message));
  }
}

// The root path shows the diagram; make the address say so.
if (location.pathname === '/' || location.pathname === '/index.html') history.replaceState(null, '', `/diagram${location.search}`);
onRouteChange(show);
show(currentRoute());

// Unexpected errors become a readable line instead of a silent failure.
window.addEventListener('unhandledrejection', (event) => {
  console.error(event.reason);
});
