import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.js';

// Reads outside a transaction go to a connection of their own (sqlite-driver.ts).
describe('reads on the embedded database while a transaction is open', () => {
  let dir: string;
  let database: Database;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-reads-'));
    database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'orderly.db') });
    await sql`create table entries (name text primary key)`.execute(database.db);
  });

  afterEach(async () => {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const names = async () =>
    (await sql<{ name: string }>`select name from entries order by name`.execute(database.db)).rows.map((r) => r.name);

  it('answer at once with what is committed, neither waiting for the transaction nor seeing its writes, and see them after the commit', async () => {
    await sql`insert into entries (name) values ('committed')`.execute(database.db);
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = database.transaction(async (tx) => {
      await sql`insert into entries (name) values ('uncommitted')`.execute(tx);
      inserted();
      await held;
      // Inside the transaction, reads go to its own connection and see its writes.
      return (await sql<{ name: string }>`select name from entries order by name`.execute(tx)).rows.map((r) => r.name);
    });
    await insertedYet;
    const outside = await Promise.race([names(), new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 2_000))]);
    expect(outside).toEqual(['committed']);
    finish();
    expect(await transaction).toEqual(['committed', 'uncommitted']);
    expect(await names()).toEqual(['committed', 'uncommitted']);
  });
});
