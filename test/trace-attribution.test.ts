/**
 * relscope/trace names what caused an N+1 (PGlite always, PG 15 with DATABASE_URL):
 * - a loop of `wrap(entity).init()` is named wrap.init, with a fix that fits it (not ".load() calls");
 * - an eager relation loaded again by each step of another N+1 (`reader.favorites.init()` per
 *   reader, Article.comments eager) is that loop's consequence: its fix is the loop's, and the
 *   tracer never advises populating a relation that is already eager.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEntity, p, wrap, type MikroORM } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { ormOnPrivateSchema } from './helpers/private-schema.ts';
import { attach, type Tracer } from '../trace/index.ts';

const thisFile = fileURLToPath(import.meta.url);
const lineOf = (marker: string) => readFileSync(thisFile, 'utf8').split('\n').findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;

const Reader = defineEntity({
  name: 'AttrReader',
  tableName: 'attr_reader',
  properties: {
    id: p.integer().primary(),
    name: p.string(),
    favorites: () => p.manyToMany(Article).owner(),
  },
});

const Article = defineEntity({
  name: 'AttrArticle',
  tableName: 'attr_article',
  properties: {
    id: p.integer().primary(),
    title: p.string(),
    writer: () => p.manyToOne(Reader).ref(),
    comments: () => p.oneToMany(Comment).mappedBy('article').eager(),
  },
});

const Comment = defineEntity({
  name: 'AttrComment',
  tableName: 'attr_comment',
  properties: {
    id: p.integer().primary(),
    body: p.string(),
    article: () => p.manyToOne(Article).ref(),
  },
});

for (const target of targets) {
  describe(`tracer attribution (${target.name})`, () => {
    let orm: MikroORM;
    let tracer: Tracer;
    let private_: Awaited<ReturnType<typeof ormOnPrivateSchema>> | undefined;
    const schema = `trace_attr_${process.pid}`;

    beforeAll(async () => {
      private_ = await ormOnPrivateSchema(target, schema, [Reader, Article, Comment]);
      orm = private_.orm;
      const em = orm.em.fork();
      const readers = [1, 2, 3, 4, 5].map((id) => em.create(Reader, { id, name: `reader ${id}` }));
      for (let a = 1; a <= 10; a++) {
        const article = em.create(Article, { id: a, title: `article ${a}`, writer: readers[a % 5]! });
        for (let c = 1; c <= 2; c++) em.create(Comment, { id: a * 10 + c, body: `comment ${a}.${c}`, article });
        readers[a % 5]!.favorites.add(article);
        readers[(a + 1) % 5]!.favorites.add(article);
      }
      await em.flush();
      tracer = attach(orm, { send: false });
    });

    afterAll(async () => {
      tracer?.detach();
      await private_?.close();
    });

    it('names a loop of wrap(entity).init() for what it is, with a fix that fits', async () => {
      tracer.clear();
      await tracer.scope('GET /articles', async () => {
        const em = orm.em.fork();
        const articles = await em.find(Article, {}, { orderBy: { id: 'asc' }, exclude: ['comments'] as never, populate: [] });
        for (const article of articles) await wrap(article.writer.unwrap()).init(); // marker:wrap-init
      });
      const [f] = tracer.findings().filter((x) => x.kind === 'n-plus-one' && x.relation === 'AttrArticle.writer');
      expect(f, JSON.stringify(tracer.findings(), null, 1)).toBeTruthy();
      expect(f!.via).toBe('wrap.init');
      expect(f!.callSite?.line).toBe(lineOf('marker:wrap-init'));
      expect(f!.fix).toContain("populate: ['writer']");
      expect(f!.fix).toContain("em.populate(list, ['writer'])");
      expect(f!.fix).not.toContain('.load() calls');
      expect(f!.message).toContain('(wrap.init)');
    });

    it('makes an eager relation loaded by each step of another N+1 that loop\'s consequence, never "populate it"', async () => {
      tracer.clear();
      await tracer.scope('GET /readers', async () => {
        const em = orm.em.fork();
        const readers = await em.find(Reader, {}, { orderBy: { id: 'asc' } });
        for (const reader of readers) await reader.favorites.init(); // marker:favorites-init
      });
      const findings = tracer.findings().filter((x) => x.kind === 'n-plus-one');
      const favorites = findings.find((x) => x.relation === 'AttrReader.favorites');
      const comments = findings.find((x) => x.relation === 'AttrArticle.comments');
      expect(favorites, JSON.stringify(findings, null, 1)).toBeTruthy();
      expect(favorites!.fix).toContain("populate: ['favorites']");
      expect(favorites!.callSite?.line).toBe(lineOf('marker:favorites-init'));
      for (const f of findings) expect(f.fix ?? '', f.relation).not.toContain("populate: ['comments']");
      // Each reader's init also loads the eager comments of its articles: 5 more statements.
      expect(comments, JSON.stringify(findings, null, 1)).toBeTruthy();
      expect(comments!.causedBy).toBe('AttrReader.favorites');
      expect(comments!.fix).toBe(favorites!.fix);
      expect(comments!.lab).toEqual(favorites!.lab);
      expect(comments!.message).toContain('AttrArticle.comments is eager, so it is loaded again for each load of AttrReader.favorites');
    });
  });
}
