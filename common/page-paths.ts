/**
 * The page's paths, shared by the page (web/route.ts routes by them) and the server (it
 * answers 404 for any other path, with the page's own 404 view): one list, so the two
 * cannot drift apart.
 */

/** The views a path can name: /diagram, /compare, /requests. */
export const pageViews = ['diagram', 'compare', 'requests'] as const;
export type PageView = (typeof pageViews)[number];

/**
 * The view a path shows: `/` and `/index.html` are the schema diagram, `/<view>` (a trailing
 * slash allowed) is that view, anything else is 'notfound'.
 */
export function viewOfPath(pathname: string): PageView | 'notfound' {
  const path = pathname.replace(/\/+$/, '');
  if (path === '' || path === '/index.html') return 'diagram';
  const name = path.slice(1);
  return (pageViews as readonly string[]).includes(name) ? (name as PageView) : 'notfound';
}
