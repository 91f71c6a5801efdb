/**
 * Every connection a test file opens (its own, its lab worker's, its CLI children's) names the
 * file as its application_name, so the embedded database's wait log (test/setup/databases.ts)
 * and pg_stat_activity say which file held a session.
 */
import { basename } from 'node:path';
import { beforeAll } from 'vitest';

// The hook's second argument is the file's suite (the first is for fixtures).
// eslint-disable-next-line no-empty-pattern
beforeAll(({}, suite) => {
  process.env.PGAPPNAME = `relscope-test ${basename(suite.file?.filepath ?? suite.name)}`.slice(0, 63);
});
