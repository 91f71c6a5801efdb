/** Small shared UI pieces: dialogs, toasts, menus, segmented controls, downloads, clipboard. */
import { h, icon, type Child } from './dom.ts';

export function openDialog(options: { title: string; body: Child; className?: string; onClose?: () => void }): HTMLDialogElement {
  const dialog = h('dialog', { class: `dialog ${options.className ?? ''}`, 'aria-label': options.title });
  const close = () => dialog.close();
  dialog.append(
    h('header', { class: 'dialog-head' },
      h('h2', null, options.title),
      h('button', { class: 'btn btn-ghost btn-icon', 'aria-label': 'Close', onClick: close }, icon('close')),
    ),
    h('div', { class: 'dialog-body' }, options.body),
  );
  dialog.addEventListener('close', () => {
    dialog.remove();
    options.onClose?.();
  });
  // A click on the backdrop (the dialog box itself, outside its content) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) close();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}

let toastHost: HTMLElement | null = null;
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  if (!toastHost) {
    toastHost = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(toastHost);
  }
  const el = h('div', { class: `toast toast-${kind}` }, message);
  toastHost.appendChild(el);
  setTimeout(() => el.classList.add('leaving'), 2600);
  setTimeout(() => el.remove(), 3000);
}

/** A readable error box; `retry` adds a button. */
export function errorBox(title: string, message: string, retry?: () => void): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' },
    h('div', { class: 'error-icon' }, icon('warn', 20)),
    h('div', null,
      h('div', { class: 'error-title' }, title),
      h('div', { class: 'error-message' }, message),
      retry ? h('button', { class: 'btn btn-sm', onClick: retry }, 'Try again') : null,
    ),
  );
}

export function spinner(label: string): HTMLElement {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), h('span', null, label));
}

export interface Segment<T extends string> {
  value: T;
  label: string;
  title?: string;
}

/** A radio-group styled as a segmented control (keyboard: arrows move, like native radios). */
export function segmented<T extends string>(name: string, label: string, segments: Segment<T>[], value: T, onChange: (value: T) => void): HTMLElement {
  const group = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': label });
  for (const seg of segments) {
    const id = `${name}-${seg.value}`;
    const input = h('input', { type: 'radio', name, id, value: seg.value, checked: seg.value === value, 'data-testid': id });
    input.addEventListener('change', () => {
      if (input.checked) onChange(seg.value);
    });
    group.append(input, h('label', { for: id, title: seg.title ?? '' }, seg.label));
  }
  return group;
}

/** A button that opens a small menu of actions; closes on Escape and outside clicks. */
export function menuButton(label: Child, items: { label: string; icon?: string; action: () => void | Promise<void>; testid?: string }[], options: { title?: string; testid?: string } = {}): HTMLElement {
  const wrap = h('div', { class: 'menu-wrap' });
  const menu = h('div', { class: 'menu', role: 'menu', hidden: true });
  const button = h('button', { class: 'btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false', title: options.title ?? '', 'data-testid': options.testid ?? null }, label);
  const close = () => {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', outside, true);
  };
  const outside = (event: Event) => {
    if (!wrap.contains(event.target as Node)) close();
  };
  const open = () => {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('click', outside, true);
    (menu.querySelector('button') as HTMLButtonElement | null)?.focus();
  };
  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  for (const item of items) {
    menu.appendChild(
      h('button', { class: 'menu-item', role: 'menuitem', 'data-testid': item.testid ?? null, onClick: async () => {
        close();
        button.focus();
        try {
          await item.action();
        } catch (error) {
          toast(error instanceof Error ? error.message : String(error), 'error');
        }
      } }, item.icon ? icon(item.icon, 15) : null, item.label),
    );
  }
  menu.addEventListener('keydown', (event) => {
    const buttons = [...menu.querySelectorAll<HTMLButtonElement>('button')];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'Escape') {
      close();
      button.focus();
    } else if (event.key === 'ArrowDown') {
      buttons[(index + 1) % buttons.length]?.focus();
      event.preventDefault();
    } else if (event.key === 'ArrowUp') {
      buttons[(index - 1 + buttons.length) % buttons.length]?.focus();
      event.preventDefault();
    }
  });
  wrap.append(button, menu);
  return wrap;
}

export function download(filename: string, content: Blob | string, type = 'text/plain;charset=utf-8'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API refused (no permission, not focused): the old way still works in most browsers.
    const area = h('textarea', { style: 'position:fixed;left:-9999px;top:0', 'aria-hidden': 'true' });
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) throw new Error(`Could not copy the ${what} to the clipboard.`);
  }
  toast(`Copied the ${what} to the clipboard.`);
}
