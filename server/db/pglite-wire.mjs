// The Postgres wire protocol in front of one PGlite instance, for several client connections.
//
// PGlite is one backend session. Clients (pg pools, several relscope processes on one
// database) each believe they own a session, so their traffic must take turns in units the
// protocol allows: a whole extended-query cycle (Parse/Bind/Describe/Execute ... up to Sync)
// or one simple Query, never single messages. @electric-sql/pglite-socket 0.2 queues single
// messages, so one client's Parse could land between another's Bind and Execute: results went
// to the wrong query ("portal \"\" does not exist", a catalog read that missed a primary key).
//
// A connection keeps the session to itself while it has a cycle open (a Flush without Sync, as
// cursors send) or a transaction open; the others wait. A client that leaves in either state has
// its cycle closed with a Sync and its transaction rolled back.
//
// Plain JavaScript: it runs in the embedded database's child process (see embedded-child.mjs).
import { createServer } from 'node:net';
import { appendFileSync } from 'node:fs';

const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;
const cancelRequestCode = 80877102;
/** Frontend messages after which the backend answers ReadyForQuery: a unit ends there. */
const cycleEnds = new Set(['S', 'Q']);
/** COPY FROM STDIN's end (CopyDone, CopyFail): a simple query's cycle ends with it. */
const copyEnds = new Set(['c', 'f']);
/** Sent on at once, the session kept: Flush (a cursor's next rows) and CopyData. */
const sendsNow = new Set(['H', 'd']);
const terminate = 'X';
const syncMessage = new Uint8Array([0x53, 0, 0, 0, 4]);

/** Runs the connections' units one at a time, keeping the session for a connection that holds it. */
class SessionScheduler {
  constructor(db) {
    this.db = db;
    this.queue = [];
    this.running = false;
    /** For waitReport(): the unit PGlite runs now, and since when the holder holds. */
    this.runningUnit = null;
    this.runningSince = 0;
    this.heldSince = 0;
    /** The connection with an open cycle or transaction: only its units run until it lets go. */
    this.holder = null;
  }

  submit(connection, messages, endsCycle) {
    connection.noteStatement(messages);
    this.queue.push({ connection, messages, endsCycle, queuedAt: Date.now() });
    void this.pump();
  }

  /** The longest wait in the queue, and who holds the session meanwhile (diagnostics). */
  waitReport() {
    const now = Date.now();
    const oldest = this.queue.reduce((a, u) => (a && a.queuedAt <= u.queuedAt ? a : u), null);
    return {
      queued: this.queue.length,
      oldestWaitMs: oldest ? now - oldest.queuedAt : 0,
      waiting: oldest ? oldest.connection.describe() : null,
      holder: this.holder ? { ...this.holder.describe(), heldMs: now - this.heldSince } : null,
      running: this.runningUnit ? { ...this.runningUnit.connection.describe(), runningMs: now - this.runningSince } : null,
    };
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index = this.holder ? this.queue.findIndex((u) => u.connection === this.holder) : this.queue.length ? 0 : -1;
        if (index < 0) break;
        const [unit] = this.queue.splice(index, 1);
        if (refuseCopyIn(unit, this.db)) continue;
        try {
          this.runningUnit = unit;
          this.runningSince = Date.now();
          await this.db.runExclusive(async () => {
            for (const message of unit.messages) {
              await this.db.execProtocolRawStream(message, { onRawData: (data) => unit.connection.send(data) });
            }
          });
          this.runningUnit = null;
          const holder = !unit.endsCycle || this.db.isInTransaction() ? unit.connection : null;
          if (holder !== this.holder) this.heldSince = Date.now();
          this.holder = holder;
          // It left while its unit ran (release saw no holder then): close what it opened now.
          if (this.holder === unit.connection && unit.connection.closed) await this.release(unit.connection, false);
        } catch (error) {
          // PGlite answers SQL errors in the protocol; a throw here is the connection's end.
          this.runningUnit = null;
          this.holder = unit.connection;
          await this.release(unit.connection, false);
          unit.connection.destroy();
          process.emitWarning(`embedded database: a connection ended on ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The connection is gone: drop its queued units and give back the session it held. */
  async release(connection, pumpAfter = true) {
    this.queue = this.queue.filter((u) => u.connection !== connection);
    if (this.holder === connection) {
      try {
        await this.db.runExclusive(async () => {
          await this.db.execProtocolRawStream(syncMessage, { onRawData: () => {} });
          if (this.db.isInTransaction()) await this.db.execProtocolRawStream(simpleQuery('ROLLBACK'), { onRawData: () => {} });
        });
      } finally {
        this.holder = null;
      }
    }
    if (pumpAfter) void this.pump();
  }
}

const copyFromStdinRe = /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i;

/**
 * PGlite reads a statement's input from the one message it is given, so COPY ... FROM STDIN
 * meets the end of its input before the client's CopyData arrives, fails the whole session
 * ("protocol synchronization was lost") and leaves it unusable for every client. A simple
 * query that starts one is answered here with an error instead, and never reaches PGlite.
 */
function refuseCopyIn(unit, db) {
  const [message] = unit.messages;
  if (unit.messages.length !== 1 || message[0] !== 0x51) return false; // 'Q'
  const sql = Buffer.from(message.buffer, message.byteOffset + 5, message.length - 6).toString('utf8');
  if (!copyFromStdinRe.test(sql)) return false;
  unit.connection.send(errorMessage('ERROR', '0A000', 'COPY FROM STDIN is not supported by the embedded database (PGlite reads no input after the statement): insert the rows with INSERT, or use a PostgreSQL server (--db URL)'));
  unit.connection.send(readyForQuery(db.isInTransaction() ? 'T' : 'I'));
  return true;
}

function readyForQuery(status) {
  return Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
}

function simpleQuery(sql) {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'latin1');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return new Uint8Array(message);
}

function errorMessage(severity, code, text) {
  const fields = Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${text}\0\0`, 'utf8');
  const message = Buffer.alloc(5 + fields.length);
  message.write('E', 0, 'latin1');
  message.writeInt32BE(4 + fields.length, 1);
  fields.copy(message, 5);
  return message;
}

let connectionCount = 0;

/** The SQL of a Query ('Q') or Parse ('P') message, cut to 160 characters ('' for none). */
function statementText(m) {
  if (!m) return '';
  const bytes = Buffer.from(m.buffer, m.byteOffset, m.length);
  if (m[0] === 0x51) return bytes.subarray(5, bytes.length - 1).toString('utf8').slice(0, 160);
  const body = bytes.subarray(5);
  const nameEnd = body.indexOf(0);
  return body.subarray(nameEnd + 1, body.indexOf(0, nameEnd + 1)).toString('utf8').slice(0, 160);
}

/** One client socket: splits its bytes into messages and hands whole units to the scheduler. */
class WireConnection {
  constructor(socket, scheduler, onClose) {
    this.socket = socket;
    this.scheduler = scheduler;
    this.buffer = Buffer.alloc(0);
    this.started = false;
    this.pending = [];
    this.closed = false;
    this.id = ++connectionCount;
    this.applicationName = '';
    /** The last Query or Parse message (see noteStatement), or null. */
    this.lastStatement = null;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.receive(chunk));
    this.close = () => {
      if (this.closed) return;
      this.closed = true;
      onClose(this);
      void this.scheduler.release(this);
    };
    socket.on('close', this.close);
    socket.on('error', this.close);
  }

  /** Who this is, for diagnostics: its number, application_name and last statement's text. */
  describe() {
    return { connection: this.id, application: this.applicationName, lastStatement: statementText(this.lastStatement) };
  }

  /**
   * Keeps the application_name of the startup message and the last Query or Parse message as it
   * came (its SQL is decoded only when a diagnostic asks: every statement passes through here).
   */
  noteStatement(messages) {
    for (const m of messages) {
      if (m[0] === 0x51 || m[0] === 0x50) this.lastStatement = m;
      else if (m[0] === 0 && m.length >= 8 && Buffer.from(m.buffer, m.byteOffset, m.length).readInt32BE(4) === 196608) { // the startup message
        const fields = Buffer.from(m.buffer, m.byteOffset + 8, m.length - 8).toString('utf8').split('\0');
        const i = fields.indexOf('application_name');
        if (i >= 0) this.applicationName = fields[i + 1] ?? '';
      }
    }
  }

  send(data) {
    if (!this.closed && this.socket.writable) this.socket.write(Buffer.from(data));
  }

  destroy() {
    this.socket.destroy();
  }

  receive(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (!this.closed) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        const code = this.buffer.readInt32BE(4);
        if (code === sslRequestCode || code === gssEncRequestCode) {
          this.buffer = this.buffer.subarray(8);
          this.socket.write('N'); // no encryption on a loopback port
          continue;
        }
        if (code === cancelRequestCode) {
          // PGlite cannot cancel a running statement; relscope's watchdog restarts it instead.
          this.socket.end();
          return;
        }
        if (this.buffer.length < length) return;
        const startup = new Uint8Array(this.buffer.subarray(0, length));
        this.buffer = this.buffer.subarray(length);
        this.started = true;
        this.scheduler.submit(this, [startup], true);
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) return;
      const type = String.fromCharCode(this.buffer[0]);
      const message = new Uint8Array(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      if (type === terminate) {
        this.close();
        this.socket.end();
        return;
      }
      this.pending.push(message);
      if (cycleEnds.has(type) || copyEnds.has(type) || sendsNow.has(type)) {
        this.scheduler.submit(this, this.pending, !sendsNow.has(type));
        this.pending = [];
      }
    }
  }
}

/**
 * Serves `db` on host:port (0 picks a free port). Resolves to { port, stop } once listening.
 * More than `maxConnections` clients at once are refused with SQLSTATE 53300.
 */
export async function serveWire(db, { host = '127.0.0.1', port = 0, maxConnections = 8 } = {}) {
  const scheduler = new SessionScheduler(db);
  const connections = new Set();
  // RELSCOPE_WIRE_LOG=file: a line for every refused connection and every unit that waited over
  // 5 s (naming who held the session), and the most connections at once when it stops. Tests set
  // it: the shared test database's waits and refusals are bugs in some client, and this names it.
  const logFile = process.env.RELSCOPE_WIRE_LOG;
  const log = (line) => {
    if (!logFile) return;
    try {
      appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    } catch { /* diagnostics only */ }
  };
  let peakConnections = 0;
  const server = createServer((socket) => {
    if (connections.size >= maxConnections) {
      const byApplication = new Map();
      for (const c of connections) byApplication.set(c.applicationName || '?', (byApplication.get(c.applicationName || '?') ?? 0) + 1);
      log(`refused a connection: ${connections.size} open, the limit is ${maxConnections} (${[...byApplication].map(([name, n]) => `${n} ${name}`).join(', ')})`);
      socket.end(errorMessage('FATAL', '53300', `sorry, too many clients already (the embedded database takes ${maxConnections})`));
      return;
    }
    connections.add(new WireConnection(socket, scheduler, (c) => connections.delete(c)));
    peakConnections = Math.max(peakConnections, connections.size);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let lastLogged = 0;
  const diagnostics = logFile ? setInterval(() => {
    const report = scheduler.waitReport();
    if (report.oldestWaitMs < 5000 || Date.now() - lastLogged < 5000) return;
    lastLogged = Date.now();
    log(`a client waited: ${JSON.stringify(report)}`);
  }, 1000) : null;
  diagnostics?.unref();
  return {
    port: server.address().port,
    /** Open client connections and queued units, for tests and diagnostics. */
    stats: () => ({ connections: connections.size, queued: scheduler.queue.length, held: scheduler.holder !== null }),
    stop: () => new Promise((resolve) => {
      if (diagnostics) clearInterval(diagnostics);
      log(`stopped; at most ${peakConnections} connections at once (limit ${maxConnections})`);
      for (const c of connections) c.socket.destroy();
      server.close(() => resolve());
    }),
  };
}
