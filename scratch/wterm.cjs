const { Worker } = require('node:worker_threads');
const pg = require('pg');
const code = `
const pg = require('pg');
const { parentPort } = require('node:worker_threads');
(async () => {
  const c = new pg.Client('postgresql://postgres@127.0.0.1:5432/postgres');
  await c.connect();
  await c.query("begin; set application_name='wterm'");
  parentPort.postMessage('in-tx');
  for(;;){} // stuck in JS, like a hydration
})();`;
(async () => {
  const w = new Worker(code, { eval: true });
  await new Promise((r) => w.on('message', r));
  const admin = new pg.Client('postgresql://postgres@127.0.0.1:5432/postgres'); await admin.connect();
  console.log('before', (await admin.query("select state from pg_stat_activity where application_name='wterm'")).rows);
  await w.terminate();
  await new Promise((r) => setTimeout(r, 500));
  console.log('after terminate', (await admin.query("select state from pg_stat_activity where application_name='wterm'")).rows);
  await admin.end();
})();
