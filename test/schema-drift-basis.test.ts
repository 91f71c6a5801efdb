/**
 * What drift compares (issue 16 point 3), through the API: GET /health says whose ORM model it
 * is and whether the database holds it; GET /lint?drift=off leaves out the drift findings that
 * lint otherwise repeats, and the relationship checks of demo tables the database does not have. On the demo test database, and on a 5-table generated database
 * without the demo tables (as `relscope serve --db URL` outside any project).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, targets } from './helpers/targets.ts';
import { generatedDatabase, type GeneratedDatabase } from './helpers/large-schema.ts';
import type { AppContext } from '../server/context.ts';
import { createApp } from '../server/api.ts';

const base = 'http://127.0.0.1:5177/api';
const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
type Body = { findings: { code: string; table: string; column?: string; message: string }[] };
const key = (f: Body['findings'][number]) => `${f.code}|${f.table}|${f.column ?? ''}|${f.message}`;

let demo: AppContext;
let other: GeneratedDatabase;
beforeAll(async () => {
  demo = await contextFor(target);
  other = await generatedDatabase(5);
}, 180_000);
afterAll(async () => {
  await demo?.close();
  await other?.drop();
});

describe('the drift basis', () => {
  it('GET /health says the ORM model is the demo, and whether the database holds its tables', async () => {
    const onDemo = await (await createApp(demo).request(`${base}/health`)).json() as { orm: unknown };
    expect(onDemo.orm).toEqual({ model: 'demo', label: 'demo model', databaseHasModel: true });
    const onOther = await (await createApp(other.ctx).request(`${base}/health`)).json() as { orm: unknown };
    expect(onOther.orm).toEqual({ model: 'demo', label: 'demo model', databaseHasModel: false });
  });

  it('GET /lint?drift=off has the lint findings without the drift ones; the default has both', async () => {
    const app = createApp(other.ctx);
    const all = await (await app.request(`${base}/lint?source=db`)).json() as Body;
    const off = await (await app.request(`${base}/lint?source=db&drift=off`)).json() as Body;
    const drift = await (await app.request(`${base}/drift`)).json() as Body;
    const driftKeys = new Set(drift.findings.map(key));
    // The demo model against 5 unrelated tables: every table is drift, and lint repeats it.
    expect(all.findings.filter((f) => driftKeys.has(key(f))).length).toBeGreaterThan(5);
    expect(off.findings.some((f) => driftKeys.has(key(f)))).toBe(false);
    // Nor the demo model's relationship checks on its own tables, which this database does not have.
    const schema = await (await app.request(`${base}/schema?source=db`)).json() as { tables: { id: string }[] };
    const tables = new Set(schema.tables.map((t) => t.id));
    expect(all.findings.some((f) => f.table && !tables.has(f.table) && !driftKeys.has(key(f)))).toBe(true);
    expect(off.findings.map(key)).toEqual(all.findings.filter((f) => !driftKeys.has(key(f)) && (!f.table || tables.has(f.table))).map(key));
    expect((await app.request(`${base}/lint?drift=maybe`)).status).toBe(400);
  });
});
