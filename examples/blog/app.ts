/**
 * A small blog API on Hono and MikroORM 7 over relscope's demo model (entities/): what
 * "Find N+1 in your app" in the README traces. Two endpoints answer the same question, the
 * latest users with their post titles: /feed loads each user's posts in a loop (a deliberate
 * N+1), /feed/fixed populates them in one more statement. Their answers are identical.
 */
import { Hono } from 'hono';
import { RequestContext, type MikroORM } from '@mikro-orm/postgresql';
import { Post, User } from '../../entities/index.ts';

export interface BlogOptions {
  /** Middlewares that run first (the tracer's, when attached). */
  use?: Parameters<Hono['use']>[1][];
}

export function createBlogApp(orm: MikroORM, options: BlogOptions = {}): Hono {
  const app = new Hono();
  for (const middleware of options.use ?? []) app.use(middleware);
  // One EntityManager fork per request, as MikroORM recommends.
  app.use((_c, next) => RequestContext.create(orm.em, next));
  const em = () => RequestContext.getEntityManager()!;

  // Deliberate N+1: one statement for the users, then one per user for their posts.
  app.get('/feed', async (c) => {
    const users = await em().find(User, {}, { orderBy: { id: 'asc' }, limit: Number(c.req.query('limit') ?? 10) });
    const feed = [];
    for (const user of users) {
      const posts = await user.posts.load({ orderBy: { id: 'asc' } });
      feed.push({ user: user.username, posts: posts.getItems().map((p) => p.title) });
    }
    return c.json(feed);
  });

  // Fixed: the posts come with the users, in one more statement (select-in).
  app.get('/feed/fixed', async (c) => {
    const users = await em().find(User, {}, {
      orderBy: { id: 'asc', posts: { id: 'asc' } },
      limit: Number(c.req.query('limit') ?? 10),
      populate: ['posts'],
      strategy: 'select-in',
    });
    return c.json(users.map((user) => ({ user: user.username, posts: user.posts.getItems().map((p) => p.title) })));
  });

  app.get('/posts/:id', async (c) => {
    const post = await em().findOne(Post, { id: Number(c.req.param('id')) }, { populate: ['author'] });
    if (!post) return c.json({ error: 'no such post' }, 404);
    return c.json({ id: post.id, title: post.title, author: post.author.username });
  });

  app.get('/users/:id', async (c) => {
    const user = await em().findOne(User, { id: Number(c.req.param('id')) });
    if (!user) return c.json({ error: 'no such user' }, 404);
    return c.json({ id: user.id, username: user.username });
  });
  return app;
}
