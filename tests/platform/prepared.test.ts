import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { asSchema, openDatabase, type Database } from '../../src/platform/db/database.js';
import { prepare, prepareRows } from '../../src/platform/db/prepared.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';

interface Tables {
  items: { id: string; kind: string; note: string | null; qty: number };
}

// Statements compiled once and run with new values (the bus's hot path) must bind each value where it
// belongs, keep the constants written into them, and tell how many rows they touched, on both dialects.
describe.each(databaseKinds)('prepared statements on %s', (kind) => {
  let test: TestDatabase;
  let database: Database;
  const items = () => asSchema<Tables>(database.db);

  beforeEach(async () => {
    test = await createTestDatabase(kind);
    database = openDatabase(loadConfig(test.env).database);
    await sql`create table items (id text primary key, kind text not null, note text, qty integer not null)`.execute(database.db);
  });

  afterEach(async () => {
    await database.close();
    await test.drop();
  });

  it('binds values by name beside constants, for every row count, inside and outside a transaction', async () => {
    const insert = prepareRows<{ id: string; note: string | null; qty: number }>(database.db, (db, rows) =>
      asSchema<Tables>(db)
        .insertInto('items')
        .values(rows.map((r) => ({ id: r.id, kind: 'fixed', note: r.note, qty: r.qty })))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning(['id', 'qty']),
    );
    const one = await insert.execute<{ id: string; qty: number }>(database.db, [{ id: 'a', note: null, qty: 1 }]);
    expect(one.rows).toEqual([{ id: 'a', qty: 1 }]);
    await database.transaction(async (tx) => {
      const three = await insert.execute<{ id: string; qty: number }>(tx, [
        { id: 'b', note: 'second', qty: 2 },
        { id: 'a', note: 'again', qty: 9 },
        { id: 'c', note: null, qty: 3 },
      ]);
      expect(three.rows.map((r) => r.id).sort()).toEqual(['b', 'c']);
    });
    const bump = prepare<{ id: string; by: number }>(database.db, (db, v) =>
      asSchema<Tables>(db)
        .updateTable('items')
        .set((eb) => ({ qty: eb('qty', '+', v.by), note: 'bumped' }))
        .where('id', '=', v.id)
        .where('kind', '=', 'fixed'),
    );
    expect(Number((await bump.execute(database.db, { id: 'b', by: 40 })).numAffectedRows)).toBe(1);
    expect(Number((await bump.execute(database.db, { id: 'nope', by: 1 })).numAffectedRows)).toBe(0);

    const rows = await items().selectFrom('items').select(['id', 'kind', 'note', 'qty']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'a', kind: 'fixed', note: null, qty: 1 },
      { id: 'b', kind: 'fixed', note: 'bumped', qty: 42 },
      { id: 'c', kind: 'fixed', note: null, qty: 3 },
    ]);
  });
});
