import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { demoTables } from '../demo/schema.ts';
import { embeddedBusy } from '../lab/queue.ts';
import { tableRows, type TableRows } from '../schema/service.ts';
import type { Health } from '../../common/api-types.ts';

/**
 * GET /health: relscope is up, which database and model it reads, and rows per table.
 *
 * The embedded database runs one statement at a time, so during a comparison a fresh reading
 * would wait behind the comparison's statements (p99 419 ms in bench/soak.ts). Then the last
 * reading is answered at once, with its age and the reason; the comparison itself shows the
 * database is answering, and a database lost meanwhile ends that comparison with 503. Without
 * a comparison (or on a real server, which runs statements side by side) every answer reads
 * the database, so a lost database answers 503 at once.
 */
export function healthRoutes(ctx: AppContext): Hono {
  const app = new Hono();
  let last: { reading: TableRows; at: number } | null = null;
  app.get('/health', async (c) => {
    const busy = embeddedBusy(ctx);
    let reading: TableRows;
    let readingAgeMs = 0;
    if (busy && last) {
      reading = last.reading;
      readingAgeMs = Math.round(performance.now() - last.at);
    } else {
      reading = await tableRows(ctx);
      last = { reading, at: performance.now() };
    }
    const { serverVersion, rowsAre, tables } = reading;
    const body: Health = {
      ok: true,
      project: ctx.projectLabel,
      database: { kind: ctx.target.kind, display: ctx.target.display, label: ctx.target.label ?? ctx.target.display, serverVersion },
      rowsAre,
      tables,
      readingAgeMs,
      ...(busy ? { busy: 'comparison' as const } : {}),
      // What drift compares the database with: the page labels (or turns off) drift against
      // the built-in demo model when there is no project, and the database lacks its tables.
      orm: { model: ctx.ormModel, label: ctx.projectLabel, databaseHasModel: ctx.ormModel === 'project' || demoTables.every((t) => `public.${t}` in tables) },
    };
    return c.json(body);
  });
  return app;
}
