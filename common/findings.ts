/**
 * A finding of drift (ORM against database) or lint, as the API, the CLI and the page show it.
 * Browser-safe: types and constants only.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** Stable machine code, e.g. "column-missing-in-db", "fk-not-indexed". */
  code: string;
  /** Table id ("public.posts"). */
  table: string;
  column?: string;
  /** One sentence naming the cause and, where there is one, the fix. */
  message: string;
  /** The ORM entity and property the finding is about (relationship checks). */
  entity?: string;
  property?: string;
  /** The fix as code in the project's own entity style (defineEntity, decorators, EntitySchema). */
  fix?: string;
  /** One paragraph: why it matters. */
  why?: string;
}

export const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Codes that are lint advice rather than drift: a foreign key without an index is the same in the
 * ORM and the database, so it is not a difference between them. Drift sections and the page's
 * Drift badge leave these out; `relscope lint` reports them.
 */
export const lintOnlyCodes: ReadonlySet<string> = new Set(['fk-not-indexed']);

/** True for a finding that is a difference between the ORM model and the database. */
export function isDrift(finding: Pick<Finding, 'code'>): boolean {
  return !lintOnlyCodes.has(finding.code);
}
