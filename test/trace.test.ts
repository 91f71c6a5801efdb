/**
 * relscope/trace on a defineEntity project (PGlite always, PG 15 with DATABASE_URL): N+1 from an
 * `await ref.load()` loop and from a loop over collections, with the relation and the call site;
 * duplicates; no N+1 for a select-in populate; grouping by EntityManager fork; expectNoNPlusOne;
 * the tracer changes no result.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestContext, type MikroORM } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { ormOnPrivateSchema } from './helpers/private-schema.ts';
import { attach, expectNoNPlusOne, type Tracer } from '../trace/index.ts';
import { Author, Book } from './fixtures/trace-define/model.ts';

const thisFile = fileURLToPath(import.meta.url);
const lineOf = (marker: string) => readFileSync(thisFile, 'utf8').split('\n').findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;

for (const target of targets) {
  describe(`tracer on a defineEntity project (${target.name})`, () => {
    let orm: MikroORM;
    let tracer: Tracer;
    let private_: Awaited<ReturnType<typeof ormOnPrivateSchema>> | undefined;
    const schema = `trace_define_${process.pid}`;

    beforeAll(async () => {
      private_ = await ormOnPrivateSchema(target, schema, [Author, Book]);
      orm = private_.orm;
      const em = orm.em.fork();
      for (let a = 1; a <= 5; a++) {
        const author = em.create(Author, { id: a, name: `author ${a}` });
        for (let b = 1; b <= 3; b++) em.create(Book, { id: a * 10 + b, title: `book ${a}.${b}`, author, editor: a > 1 ? em.getReference(Author, a - 1) : null });
      }
      await em.flush();
      tracer = attach(orm, { send: false });
    });

    afterAll(async () => {
      tracer?.detach();
      await private_?.close();
    });

    it('finds the N+1 of an `await ref.load()` loop, with the relation and the call site', async () => {
      tracer.clear();
      await tracer.scope('GET /books', async () => {
        const em = orm.em.fork();
        const books = await em.find(Book, {}, { orderBy: { id: 'asc' } });
        for (const book of books) {
          await book.author.load(); // marker:ref-load
        }
      });
      const findings = tracer.findings().filter((f) => f.kind === 'n-plus-one');
      expect(findings).toHaveLength(1);
      const [f] = findings;
      expect(f!.relation).toBe('TraceBook.author');
      expect(f!.scope).toBe('GET /books');
      expect(f!.count).toBe(5); // 15 books, 5 authors: the identity map answers the rest
      expect(f!.callSite?.file).toBe(thisFile);
      expect(f!.callSite?.line).toBe(lineOf('marker:ref-load'));
      expect(f!.fix).toContain("populate: ['author']");
      expect(f!.lab).toEqual({ root: 'TraceBook', populate: ['author'] });
      expect(f!.message).toMatch(/^N\+1 in GET \/books: loading TraceBook.author \(Reference.load\) at .* sent 5 statements of the same shape/);
      expect(f!.totalMs).toBeGreaterThan(0);
      const scope = tracer.scopes().at(-1)!;
      expect(scope.statements).toHaveLength(6);
      expect(scope.statements[1]!.params).toBeUndefined(); // redacted by default
      expect(scope.statements[1]!.paramCount).toBeGreaterThan(0);
      expect(scope.statements[0]!.rows).toBe(15);
      expect(scope.statements[1]!.ms).toBeGreaterThan(0);
      expect(scope.statements[1]!.ms).not.toBe(Math.round(scope.statements[1]!.ms)); // sub-millisecond
    });

    it('names the to-one relation from the source line when two relations target the same entity', async () => {
      tracer.clear();
      await tracer.scope('editors', async () => {
        const em = orm.em.fork();
        const books = await em.find(Book, { editor: { $ne: null } }, { orderBy: { id: 'asc' } });
        for (const book of books) await book.editor!.load(); // marker:editor-load
      });
      const [f] = tracer.findings();
      expect(f?.relation).toBe('TraceBook.editor');
      expect(f?.callSite?.line).toBe(lineOf('marker:editor-load'));
    });

    it('finds the N+1 of a `for ... of` loop that loads each collection', async () => {
      tracer.clear();
      await tracer.scope('GET /authors', async () => {
        const em = orm.em.fork();
        const authors = await em.find(Author, {});
        let titles = 0;
        for (const author of authors) {
          for (const book of await author.books.load()) titles += book.title.length; // marker:collection-load
        }
        expect(titles).toBeGreaterThan(0);
      });
      const findings = tracer.findings().filter((f) => f.kind === 'n-plus-one');
      expect(findings).toHaveLength(1);
      expect(findings[0]!.relation).toBe('TraceAuthor.books');
      expect(findings[0]!.via).toBe('Collection.load');
      expect(findings[0]!.count).toBe(5);
      expect(findings[0]!.callSite?.line).toBe(lineOf('marker:collection-load'));
      expect(findings[0]!.fix).toContain("populate: ['books']");
    });

    it('reports no N+1 for a populate with select-in, and the same rows as without the tracer', async () => {
      const load = () => orm.em.fork().find(Author, {}, { populate: ['books'], strategy: 'select-in', orderBy: { id: 'asc' } });
      tracer.clear();
      const traced = await tracer.scope('populated', load);
      expect(tracer.findings()).toEqual([]);
      expect(tracer.scopes().at(-1)!.statements).toHaveLength(2);
      const statements = tracer.scopes().at(-1)!.statements;
      expect(statements[1]!.via).toBe('populate');
      tracer.detach();
      try {
        const plain = await load();
        expect(JSON.stringify(traced)).toBe(JSON.stringify(plain));
      } finally {
        tracer = attach(orm, { send: false });
      }
    });

    it('finds duplicate statements (the same SQL with the same values)', async () => {
      tracer.clear();
      await tracer.scope('dupes', async () => {
        await orm.em.fork().findOne(Author, 1);
        await orm.em.fork().findOne(Author, 1);
        await orm.em.fork().findOne(Author, 2);
      });
      const findings = tracer.findings();
      expect(findings.map((f) => f.kind)).toEqual(['duplicate']);
      expect(findings[0]!.count).toBe(2);
    });

    it('keeps parameter values only when asked', async () => {
      const withParams = attach(orm, { send: false, params: true });
      try {
        await withParams.scope('p', () => orm.em.fork().findOne(Author, 3));
        expect(withParams.scopes()[0]!.statements[0]!.params).toContain(3);
      } finally {
        withParams.detach();
      }
    });

    it('without a scope, groups statements by the EntityManager fork of RequestContext', async () => {
      tracer.clear();
      await RequestContext.create(orm.em, async () => {
        const em = RequestContext.getEntityManager()!;
        const books = await em.find(Book, {});
        for (const book of books) await book.author.load();
      });
      await RequestContext.create(orm.em, async () => {
        await RequestContext.getEntityManager()!.find(Author, { id: 1 });
      });
      const scopes = tracer.scopes();
      expect(scopes).toHaveLength(2);
      expect(scopes.every((s) => s.kind === 'fork' && /^EntityManager fork #\d+$/.test(s.name))).toBe(true);
      expect(scopes[0]!.statements).toHaveLength(6);
      expect(scopes[0]!.findings[0]?.relation).toBe('TraceBook.author');
      expect(scopes[1]!.statements).toHaveLength(1);
    });

    it('expectNoNPlusOne throws with relation, count and call site, and passes on a populated load', async () => {
      tracer.detach();
      try {
        const error = await expectNoNPlusOne(orm, async () => {
          const books = await orm.em.fork().find(Book, {});
          for (const book of books) await book.author.load(); // marker:expect
        }).then(() => null, (e: Error) => e);
        expect(error).toBeInstanceOf(Error);
        expect(error!.message).toContain('N+1 TraceBook.author: 5 statements');
        expect(error!.message).toContain(`${thisFile}:${lineOf('marker:expect')}:`);
        expect(error!.message).toContain("populate: ['author']");
        const books = await expectNoNPlusOne(orm, () => orm.em.fork().find(Book, {}, { populate: ['author'] }));
        expect(books).toHaveLength(15);
      } finally {
        tracer = attach(orm, { send: false });
      }
    });
  });
}
