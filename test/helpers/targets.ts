import { inject } from 'vitest';
import { createContext, type AppContext } from '../../server/context.ts';
import type { TestTarget } from '../setup/databases.ts';

/** The databases every database test runs against (see test/setup/databases.ts). */
export const targets: TestTarget[] = inject('targets');
export const seedScale: number = inject('seedScale');

/** A context on a test target; the database itself belongs to the global setup. */
export function contextFor(target: TestTarget): Promise<AppContext> {
  return createContext({ target: { kind: target.kind, url: target.url, display: target.name, close: async () => {} } });
}
