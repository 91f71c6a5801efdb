/** The page's 404 view: the path names no view; say so and offer the views there are. */
import { h, icon, mount } from '../dom.ts';
import { navigate } from '../route.ts';
import { pageViews, type PageView } from '../../common/page-paths.ts';
import type { ViewInstance } from '../main.ts';

/** Every view of common/page-paths.ts, in a few words (a Record: a new view must be named here). */
const offered: Record<PageView, { what: string; button: string }> = {
  diagram: { what: 'the schema', button: 'Open the schema' },
  compare: { what: 'loading strategies', button: 'Compare strategies' },
  requests: { what: "your app's traced requests", button: 'See requests' },
};

export function notFoundView(container: HTMLElement): ViewInstance {
  const render = () => {
    const path = location.pathname;
    const go = (view: PageView) => (e: Event) => {
      e.preventDefault();
      navigate(view, new URLSearchParams(location.search), { replace: true });
    };
    const listed = pageViews.flatMap((view, i) => [
      i === 0 ? '' : i === pageViews.length - 1 ? ' and ' : ', ',
      h('code', null, `/${view}`), ` (${offered[view].what})`,
    ]);
    mount(container, h('div', { class: 'not-found', 'data-testid': 'not-found' },
      h('div', { class: 'empty-icon' }, icon('warn', 28)),
      h('h1', null, 'No page here'),
      h('p', null, 'relscope has no view at ', h('code', null, path), '. Its views are ', ...listed, '.'),
      h('div', { class: 'row-buttons' },
        ...pageViews.map((view) => h('a', { class: 'btn', href: `/${view}`, onClick: go(view) }, offered[view].button))),
    ));
  };
  return { update: render, destroy() {} };
}
