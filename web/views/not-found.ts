/** The page's 404 view: the path names no view; say so and offer the views there are. */
import { h, icon, mount } from '../dom.ts';
import { navigate } from '../route.ts';
import type { ViewInstance } from '../main.ts';

export function notFoundView(container: HTMLElement): ViewInstance {
  const render = () => {
    const path = location.pathname;
    const go = (view: 'diagram' | 'compare') => (e: Event) => {
      e.preventDefault();
      navigate(view, new URLSearchParams(location.search), { replace: true });
    };
    mount(container, h('div', { class: 'not-found', 'data-testid': 'not-found' },
      h('div', { class: 'empty-icon' }, icon('warn', 28)),
      h('h1', null, 'No page here'),
      h('p', null, 'relscope has no view at ', h('code', null, path), '. Its views are ', h('code', null, '/diagram'), ' (the schema) and ', h('code', null, '/compare'), ' (loading strategies).'),
      h('div', { class: 'row-buttons' },
        h('a', { class: 'btn', href: '/diagram', onClick: go('diagram') }, 'Open the schema'),
        h('a', { class: 'btn', href: '/compare', onClick: go('compare') }, 'Compare strategies')),
    ));
  };
  return { update: render, destroy() {} };
}
