/**
 * Problems with the address (a parameter the page does not understand), shown above a view as
 * one readable line each, with the suggestion and a one-click fix, instead of a silent fallback.
 */
import { h, icon, mount } from '../dom.ts';
import { setParams } from '../route.ts';
import { nameDistance } from '../../common/names.ts';

/** A problem with the address: what is wrong and what to do, and the parameters a fix sets (null: remove). */
export interface UrlProblem {
  param: string;
  message: string;
  fix: Record<string, string | null>;
}

/** A host element and a function that shows the current problems in it (dismissed ones stay hidden). */
export function urlProblemsBanner(): { element: HTMLElement; show(problems: UrlProblem[]): void } {
  const element = h('div', { class: 'url-problems', role: 'alert', 'data-testid': 'url-problems', hidden: true });
  const dismissed = new Set<string>();
  let last: UrlProblem[] = [];
  const show = (problems: UrlProblem[]) => {
    last = problems;
    const shown = problems.filter((p) => !dismissed.has(p.message));
    element.hidden = !shown.length;
    mount(element, shown.map((p) => h('div', { class: 'url-problem', 'data-testid': 'url-problem', 'data-param': p.param },
      icon('warn', 15), h('span', { class: 'url-problem-text' }, p.message),
      h('button', { class: 'btn btn-sm', 'data-testid': 'url-problem-fix', onClick: () => setParams(p.fix, { replace: true }) }, Object.values(p.fix).every((v) => v === null) ? `Remove ${p.param}` : 'Fix the address'),
      h('button', { class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': 'Dismiss', onClick: () => { dismissed.add(p.message); show(last); } }, icon('close', 14)))));
  };
  return { element, show };
}

/** Up to three names closest to `ref` (case-insensitive edit distance; `public.` ignored). */
export function nearest(ref: string, names: string[]): string[] {
  const q = ref.toLowerCase().replace(/^public\./, '');
  return names.map((name) => ({ name, d: nameDistance(q, name.toLowerCase().replace(/^public\./, '')) }))
    .filter((x) => x.d <= Math.max(3, q.length / 2))
    .sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : 1)).slice(0, 3).map((x) => x.name);
}
