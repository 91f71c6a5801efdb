/**
 * The tracer's middlewares make one scope per request, named by the route pattern, in Hono,
 * Express, Koa (@koa/router) and NestJS (on Express): two requests to /users/:id running at the
 * same time each get their own statement, and nothing of the other's.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { initOrm } from '../server/orm.ts';
import { User } from '../entities/index.ts';
import { attach, type Tracer } from '../trace/index.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
let orm: MikroORM;
let tracer: Tracer;

beforeAll(async () => {
  orm = await initOrm({ kind: target.kind, url: target.url, display: target.name, close: async () => {} });
  tracer = attach(orm, { send: false, params: true });
});
afterAll(async () => {
  tracer?.detach();
  await orm?.close();
});

/** What each app's handler does: two statements for one user. */
async function handle(id: number): Promise<string> {
  const em = orm.em.fork();
  const user = await em.findOneOrFail(User, id);
  const count = await em.count(User, { id: { $lte: id } });
  return JSON.stringify({ id: user.id, username: user.username, count });
}

async function check(base: string, close: () => Promise<void>): Promise<void> {
  tracer.clear();
  try {
    const [a, b] = await Promise.all([fetch(`${base}/users/3`), fetch(`${base}/users/4`)]);
    expect(a.status).toBe(200);
    expect(JSON.parse(await a.text()).id).toBe(3);
    expect(JSON.parse(await b.text()).id).toBe(4);
    await new Promise((r) => setTimeout(r, 20)); // the response's 'finish' may follow the body
  } finally {
    await close();
  }
  const scopes = tracer.scopes().filter((s) => s.kind === 'scope');
  expect(scopes.map((s) => s.name)).toEqual(['GET /users/:id', 'GET /users/:id']);
  for (const s of scopes) {
    expect(s.statements).toHaveLength(2);
    expect(s.status).toBe(200);
  }
  const ids = scopes.map((s) => s.statements[0]!.params![0]).sort();
  expect(ids).toEqual([3, 4]);
  expect(tracer.scopes().filter((s) => s.kind === 'fork')).toEqual([]);
}

function listening(server: Server): Promise<string> {
  return new Promise((ok) => {
    const done = () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (server.listening) done();
    else server.once('listening', done);
  });
}

const closeServer = (server: Server) => () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); });

describe('one scope per request, named METHOD /route/pattern', () => {
  it('Hono', async () => {
    const app = new Hono();
    app.use(tracer.hono());
    app.get('/users/:id', async (c) => c.body(await handle(Number(c.req.param('id'))), 200, { 'content-type': 'application/json' }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await check(await listening(server), closeServer(server));
  });

  it('Express', async () => {
    const app = express();
    app.use(tracer.express());
    app.get('/users/:id', async (req, res) => {
      res.type('json').send(await handle(Number(req.params.id)));
    });
    const server = app.listen(0, '127.0.0.1');
    await check(await listening(server), closeServer(server));
  });

  it('Koa with @koa/router', async () => {
    const app = new Koa();
    const router = new Router();
    router.get('/users/:id', async (ctx) => {
      ctx.type = 'json';
      ctx.body = await handle(Number(ctx.params.id));
    });
    app.use(tracer.koa());
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await check(await listening(server), closeServer(server));
  });

  it('NestJS (Express adapter)', async () => {
    // Decorators applied as plain functions: this test file is not compiled with experimentalDecorators.
    class UsersController {
      async one(id: string): Promise<string> {
        return handle(Number(id));
      }
    }
    Controller('users')(UsersController);
    Get(':id')(UsersController.prototype, 'one', Object.getOwnPropertyDescriptor(UsersController.prototype, 'one')!);
    Param('id')(UsersController.prototype, 'one', 0);
    class AppModule {}
    Module({ controllers: [UsersController] })(AppModule);
    const app = await NestFactory.create(AppModule, { logger: false });
    app.use(tracer.express());
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as Server;
    await check(await listening(server), async () => { await app.close(); });
  });
});
