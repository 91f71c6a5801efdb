import pg from 'pg';

/** Runs `work` inside a transaction on one connection and always rolls back (the database is left as it was). */
export async function inRolledBackTransaction<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    return await work(client);
  } finally {
    await client.query('rollback').catch(() => {});
    await client.end();
  }
}
