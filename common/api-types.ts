/**
 * Answers of the API's schema and health endpoints, as the page reads them.
 * Browser-safe: types only.
 */
import type { Finding, Severity } from './findings.ts';
import type { SchemaSource } from './schema-model.ts';

/** GET /api/health */
export interface Health {
  ok: boolean;
  /** What the user is looking at: "demo model" or the MikroORM config's path. */
  project: string;
  database: {
    kind: 'embedded' | 'external';
    /** The database's address without any password. */
    display: string;
    /** A few words for narrow places, e.g. "embedded PGlite". */
    label?: string;
    serverVersion: string;
  };
  /** exact: count(*) per table; estimated: the planner's reltuples (more than 60 tables). */
  rowsAre: 'exact' | 'estimated';
  /** Rows per table id ("public.users"). */
  tables: Record<string, number>;
  /**
   * How old `tables` and `serverVersion` are: 0 when read for this answer. While a comparison
   * holds the embedded database (it runs one statement at a time), health answers the last
   * reading instead of waiting behind the comparison's statements, and says so here.
   */
  readingAgeMs: number;
  /** Set while a comparison runs on the embedded database (the reason for an older reading). */
  busy?: 'comparison';
  /** What drift compares with: the user's project, or relscope's built-in demo model. */
  orm?: { model: 'project' | 'demo'; label: string; databaseHasModel: boolean };
}

export type FindingCounts = Record<Severity, number>;

/** GET /api/drift: the ORM's model against the database's, for the same schemas. */
export interface DriftResponse {
  findings: Finding[];
  counts: FindingCounts;
  orm: { origin: string };
  db: { origin: string };
}

/** GET /api/lint: drift plus advice on `source`'s model. */
export interface LintResponse {
  source: SchemaSource;
  findings: Finding[];
  counts: FindingCounts;
}
