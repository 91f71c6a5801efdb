/**
 * trace/analyze.ts on statements as the tracer records them: which findings a request's
 * statements make, and what they advise.
 */
import { describe, expect, it } from 'vitest';
import { analyze, type AnalyzedStatement } from '../trace/analyze.ts';

const site = (line: number) => ({ file: '/app/src/usage.controller.ts', line, column: 7 });
let seq = 0;
function statement(over: Partial<AnalyzedStatement> & Pick<AnalyzedStatement, 'sql' | 'paramsKey'>): AnalyzedStatement {
  return { seq: seq++, fingerprint: over.sql, paramCount: 1, startMs: seq, ms: 0.5, rows: 2, ...over };
}

describe('duplicate statements', () => {
  it('advise keeping the first result when the app asked twice', () => {
    seq = 0;
    const lookup = { sql: 'select * from "user" where "id" = ?', paramsKey: '[1]', callSite: site(20) };
    const [finding] = analyze('GET /user', [statement(lookup), statement(lookup)]);
    expect(finding).toMatchObject({ kind: 'duplicate', count: 2, fix: 'reuse the first result' });
    expect(finding!.message).toContain('keep the first result');
  });

  it('name MikroORM loading an eager relation again, with the loop that caused it, never "keep the first result"', () => {
    seq = 0;
    const statements: AnalyzedStatement[] = [statement({ sql: 'select * from "user"', paramsKey: '[]', callSite: site(12) })];
    // Each user's articles.init() (an N+1) loads the eager Article.comments, twice for the same rows.
    for (let user = 1; user <= 4; user++) {
      statements.push(statement({ sql: 'select * from "article" where "author_id" in (?)', paramsKey: `[${user}]`, callSite: site(16), relation: 'User.articles', owner: 'User', property: 'articles', toMany: true, via: 'Collection.init' }));
      for (let twice = 0; twice < 2; twice++) {
        statements.push(statement({ sql: 'select * from "comment" where "article_id" in (?)', paramsKey: `[${user * 10}]`, callSite: site(16), relation: 'Article.comments', owner: 'Article', property: 'comments', toMany: true, eager: true }));
      }
    }
    const findings = analyze('GET /usage/authors', statements);
    const loop = findings.find((f) => f.kind === 'n-plus-one' && f.relation === 'User.articles')!;
    const duplicates = findings.filter((f) => f.kind === 'duplicate');
    expect(duplicates).toHaveLength(4);
    for (const d of duplicates) {
      expect(d.relation).toBe('Article.comments');
      expect(d.causedBy).toBe('User.articles');
      expect(d.fix).toBe(loop.fix);
      expect(d.message).toContain('MikroORM loaded the eager Article.comments again with each load of User.articles');
      expect(d.message).not.toContain('keep the first result');
    }
  });

  it('advise making an eager relation lazy when no loop of the app explains it', () => {
    seq = 0;
    const eager = { sql: 'select * from "comment" where "article_id" in (?)', paramsKey: '[7]', callSite: site(30), relation: 'Article.comments', owner: 'Article', property: 'comments', toMany: true, eager: true };
    const [finding] = analyze('GET /articles/:slug', [statement(eager), statement(eager)]);
    expect(finding).toMatchObject({ kind: 'duplicate', fix: 'make Article.comments lazy where it is not needed' });
    expect(finding!.message).toContain('MikroORM loaded the eager Article.comments again each time its Article was loaded');
  });
});
