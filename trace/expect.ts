/**
 * relscope/test: fail a test on N+1, Bullet's raise mode for MikroORM.
 *
 *   await expectNoNPlusOne(orm, async () => { await listOrders(orm.em.fork()); });
 *
 * Runs `fn` in a scope of a tracer of its own (sending nothing), then throws an Error that lists
 * each N+1 (relation, count, call site, fix) when there is one. Works with any test runner that
 * reports thrown errors (vitest, node:test, jest, mocha).
 */
import type { MikroORM } from '@mikro-orm/core';
import type { TraceFinding } from '../common/trace-types.ts';
import { attach } from './index.ts';

export interface ExpectOptions {
  /** Also fail on duplicate statements (default false). */
  duplicates?: boolean;
  /** Scope name in the message (default 'expectNoNPlusOne'). */
  name?: string;
}

export function formatFindings(findings: TraceFinding[]): string {
  return findings
    .map((f, i) => {
      const site = f.callSite ? ` at ${f.callSite.file}:${f.callSite.line}:${f.callSite.column}` : '';
      const what = f.kind === 'n-plus-one' ? 'N+1' : f.kind;
      return `  ${i + 1}. ${what}${f.relation ? ` ${f.relation}` : ''}: ${f.count} statements${site}${f.fix ? `\n     fix: ${f.fix}` : ''}`;
    })
    .join('\n');
}

export class NPlusOneError extends Error {
  constructor(readonly findings: TraceFinding[], name: string) {
    super(`${name}: ${findings.length} ${findings.length === 1 ? 'query problem' : 'query problems'} found\n${formatFindings(findings)}`);
    this.name = 'NPlusOneError';
  }
}

export async function expectNoNPlusOne<T>(orm: MikroORM, fn: () => Promise<T> | T, options: ExpectOptions = {}): Promise<T> {
  const name = options.name ?? 'expectNoNPlusOne';
  const tracer = attach(orm, { send: false });
  let value: T;
  try {
    value = await tracer.scope(name, async () => fn());
  } finally {
    tracer.detach();
  }
  const findings = tracer.findings().filter((f) => f.kind === 'n-plus-one' || (options.duplicates && f.kind === 'duplicate'));
  if (findings.length) throw new NPlusOneError(findings, name);
  return value;
}
