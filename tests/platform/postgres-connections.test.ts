import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { createTestDatabase, databaseKinds } from '../support/databases.js';

// A server that goes away (a replica stopped, a primary restarted) ends its connections with a FATAL
// message. One that reaches a connection the pool has lent out between two statements has no query to
// fail: without a listener of our own it is an unhandled 'error' event, and the process dies with it.
describe.runIf(databaseKinds.includes('postgres'))('PostgreSQL connections their server ends', () => {
  it('fail the transaction holding one, not the process; the pool serves the next caller', async () => {
    const test = await createTestDatabase('postgres');
    const database = openDatabase(loadConfig(test.env).database);
    const admin = new pg.Client({ connectionString: test.env.DATABASE_URL });
    await admin.connect();
    const uncaught: unknown[] = [];
    const note = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', note);
    try {
      const ended = database.transaction(async (tx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        // The FATAL arrives while the transaction holds the connection and runs nothing on it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`select 1`.execute(tx);
      });
      await expect(ended).rejects.toThrow();
      const after = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      expect(after.rows).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', note);
      await admin.end();
      await database.close();
      await test.drop();
    }
  });
});
