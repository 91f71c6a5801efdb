/**
 * The URL is the page's state: /diagram?source=db&focus=public.users&depth=2&table=…
 * and /compare?root=User&populate=posts.comments&limit=20&run=1. A copied link reopens
 * the same view; back and forward move between views and focus changes.
 */

import { viewOfPath, type PageView } from '../common/page-paths.ts';

/** A view a path can name (common/page-paths.ts, shared with the server), or the page's 404 view. */
export type View = PageView | 'notfound';

export interface Route {
  view: View;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  return { view: viewOfPath(location.pathname), params: new URLSearchParams(location.search) };
}

export function hrefFor(view: View, params?: URLSearchParams | Record<string, string>): string {
  const usp = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? {});
  const qs = usp.toString();
  return `/${view}${qs ? `?${qs}` : ''}`;
}

type Listener = (route: Route) => void;
const listeners = new Set<Listener>();

export function onRouteChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(): void {
  const route = currentRoute();
  for (const l of listeners) l(route);
}

window.addEventListener('popstate', () => {
  remember();
  emit();
});

/** Each view's last parameters, so switching views and back keeps the options. */
export function remember(): void {
  const { view, params } = currentRoute();
  try {
    sessionStorage.setItem(`relscope.params.${view}`, params.toString());
  } catch {
    // storage may be disabled; the address bar still holds the state
  }
}

/** Goes to a view (a new history entry unless `replace`), then tells the listeners. */
export function navigate(view: View, params?: URLSearchParams | Record<string, string>, options: { replace?: boolean; silent?: boolean } = {}): void {
  const href = hrefFor(view, params);
  if (href !== location.pathname + location.search) {
    if (options.replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
  }
  remember();
  if (!options.silent) emit();
}

/**
 * Changes some parameters of the current view. `silent` updates the address bar only
 * (the view already shows it); otherwise listeners re-render.
 */
export function setParams(patch: Record<string, string | number | null | undefined>, options: { replace?: boolean; silent?: boolean } = {}): void {
  const { view, params } = currentRoute();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === '') params.delete(k);
    else params.set(k, String(v));
  }
  navigate(view, params, options);
}
