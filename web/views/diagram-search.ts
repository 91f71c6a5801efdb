/** The Schema view's "jump to table" box: a combobox over the model's tables. */
import { h, icon, mount } from '../dom.ts';
import type { Table } from '../../common/schema-model.ts';
import type { DiagramContext } from './diagram-params.ts';

export function scoreMatch(t: Table, q: string): number {
  const name = t.name.toLowerCase();
  const id = t.id.toLowerCase();
  const entity = (t.entity ?? '').toLowerCase();
  if (name === q || entity === q) return 100;
  if (name.startsWith(q) || entity.startsWith(q)) return 80;
  if (id.startsWith(q)) return 70;
  if (name.includes(q) || entity.includes(q)) return 50;
  if (id.includes(q)) return 40;
  // Subsequence match ("usrtm" → user_team).
  let i = 0;
  for (const ch of name) if (ch === q[i]) i++;
  return i === q.length ? 10 : 0;
}

export function tableSearch(host: HTMLElement, ctx: DiagramContext): void {
  const input = h('input', { type: 'search', placeholder: 'Jump to table…  /', 'aria-label': 'Search tables', role: 'combobox', 'aria-expanded': 'false', 'aria-controls': 'search-list', 'aria-autocomplete': 'list', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'table-search' });
  const list = h('ul', { class: 'search-list', id: 'search-list', role: 'listbox', hidden: true });
  let matches: Table[] = [];
  let active = 0;
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  };
  const choose = (t: Table | undefined) => {
    if (!t) return;
    input.value = '';
    close();
    ctx.jumpTo(t.id);
  };
  const refresh = () => {
    const q = input.value.trim().toLowerCase();
    const tables = ctx.schema()?.tables ?? [];
    matches = !q ? [] : tables
      .map((t) => ({ t, score: scoreMatch(t, q) }))
      .filter((m) => m.score > 0)
      .sort((a, b) => b.score - a.score || a.t.id.localeCompare(b.t.id))
      .slice(0, 12)
      .map((m) => m.t);
    active = 0;
    list.replaceChildren(...matches.map((t, i) => h('li', { role: 'option', id: `search-opt-${i}`, 'aria-selected': String(i === active), onMousedown: (e: Event) => { e.preventDefault(); choose(t); } },
      h('span', { class: 'search-name' }, t.name), h('span', { class: 'muted small' }, t.schema !== 'public' ? t.schema : '', t.entity ? ` ${t.entity}` : ''),
      ctx.isDrawn(t.id) ? null : h('span', { class: 'badge' }, 'focus'))));
    if (q && matches.length === 0) list.replaceChildren(h('li', { class: 'muted', role: 'option', 'aria-disabled': 'true' }, 'No table matches'));
    list.hidden = !q;
    input.setAttribute('aria-expanded', String(!list.hidden));
    input.setAttribute('aria-activedescendant', matches.length ? `search-opt-${active}` : '');
  };
  input.addEventListener('input', refresh);
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!matches.length) return;
      active = (active + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
      [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
      input.setAttribute('aria-activedescendant', `search-opt-${active}`);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(matches[active]);
    } else if (e.key === 'Escape') {
      input.value = '';
      close();
    }
  });
  mount(host, icon('search', 15), input, list);
}
