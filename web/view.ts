import type { Route } from './route.ts';

/** What a view function returns: the shell (web/main.ts) updates it on navigation and destroys it on leaving. */
export interface ViewInstance {
  update(route: Route): void;
  destroy(): void;
}
