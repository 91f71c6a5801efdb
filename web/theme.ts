/**
 * Light and dark themes follow prefers-color-scheme unless the user picks one (kept in
 * localStorage). Views that draw with their own colours (Mermaid) subscribe to changes.
 */
export type ThemeMode = 'auto' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const key = 'relscope.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set<(theme: Theme) => void>();

export function themeMode(): ThemeMode {
  const stored = localStorage.getItem(key);
  return stored === 'light' || stored === 'dark' ? stored : 'auto';
}

export function currentTheme(): Theme {
  const mode = themeMode();
  if (mode !== 'auto') return mode;
  return media.matches ? 'dark' : 'light';
}

let applied: Theme | null = null;
function apply(): void {
  // Always the resolved theme ("auto" follows the system): styles.css has one dark block.
  const theme = currentTheme();
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
  if (theme !== applied) {
    const first = applied === null;
    applied = theme;
    if (!first) for (const l of listeners) l(theme);
  }
}

export function setThemeMode(mode: ThemeMode): void {
  if (mode === 'auto') localStorage.removeItem(key);
  else localStorage.setItem(key, mode);
  apply();
}

export function onThemeChange(listener: (theme: Theme) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

media.addEventListener('change', apply);
apply();
