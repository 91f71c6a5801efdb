// The embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) served over
// the Postgres wire protocol on a loopback port. It runs in its own process because
// PGlite executes queries synchronously on the event loop: in the relscope process it
// would freeze timers, so no timeout could ever fire. Here, the parent can kill it.
//
// Plain JavaScript on purpose: it must start the same way under tsx, vitest and an
// installed package, without a TypeScript loader.
import { PGlite } from '@electric-sql/pglite';
import { serveWire } from './pglite-wire.mjs';

const dataDir = process.env.RELSCOPE_PGLITE_DIR;
const maxConnections = Number(process.env.RELSCOPE_PGLITE_MAX_CONNECTIONS ?? '8');
// A restart reuses the previous port so that clients' connection strings stay valid.
const wantedPort = Number(process.env.RELSCOPE_PGLITE_PORT ?? '0');

function send(message) {
  if (process.connected) process.send(message);
}

async function main() {
  if (!dataDir) throw new Error('RELSCOPE_PGLITE_DIR is not set');
  const db = await PGlite.create({ dataDir });
  const version = (await db.query('show server_version')).rows[0].server_version;
  const server = await serveWire(db, { host: '127.0.0.1', port: wantedPort, maxConnections });
  const port = server.port;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await server.stop();
      await db.close(); // flushes and releases the data directory cleanly
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('message', (m) => { if (m && m.type === 'stop') void stop(); });
  // The parent is gone (crashed or killed): never linger as an orphan.
  process.on('disconnect', stop);

  send({ type: 'ready', port: Number(port), version });
}

main().catch((error) => {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
