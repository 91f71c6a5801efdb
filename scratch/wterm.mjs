import { Worker } from 'node:worker_threads';
import pg from 'pg';
const w = new Worker(`
const pg = require(${JSON.stringify(require.resolve ? '' : '')} || 'pg');
`, { eval: true });
