import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.js';

// Transactions asked for together on the embedded database share one commit (group commit); each must
// still behave as a transaction of its own.
describe('transactions on the embedded database, committed in groups', () => {
  let dir: string;
  let file: string;
  let database: Database;
  let observer: SqliteDatabase.Database;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-group-commit-'));
    file = path.join(dir, 'orderly.db');
    database = openDatabase({ kind: 'sqlite', file });
    await sql`create table entries (name text primary key)`.execute(database.db);
    // Another connection, as another process would see the file.
    observer = new SqliteDatabase(file, { readonly: true });
  });

  afterEach(async () => {
    observer.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const committed = (name: string) => observer.prepare('select count(*) as n from entries where name = ?').get(name) as { n: number };

  it('resolves each only once its writes are committed, and rolls back a failing one alone', async () => {
    const seenAtResolve: Record<string, number> = {};
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => {
        const name = `entry-${i}`;
        return database
          .transaction(async (tx) => {
            await sql`insert into entries (name) values (${name})`.execute(tx);
            await sql`insert into entries (name) values (${`${name}-second`})`.execute(tx);
            if (i % 7 === 3) throw new Error(`refused ${name}`);
            return name;
          })
          .then((value) => {
            seenAtResolve[value] = committed(value).n;
            return value;
          });
      }),
    );

    outcomes.forEach((outcome, i) => {
      const name = `entry-${i}`;
      if (i % 7 === 3) {
        expect(outcome).toEqual({ status: 'rejected', reason: new Error(`refused ${name}`) });
        expect(committed(name).n + committed(`${name}-second`).n).toBe(0);
      } else {
        expect(outcome).toEqual({ status: 'fulfilled', value: name });
        expect(seenAtResolve[name]).toBe(1);
        expect(committed(`${name}-second`).n).toBe(1);
      }
    });
  });

  it('rejects a transaction whose statement fails and keeps the rest of its group', async () => {
    await sql`insert into entries (name) values ('taken')`.execute(database.db);
    const [before, duplicate, after] = await Promise.allSettled([
      database.transaction((tx) => sql`insert into entries (name) values ('before')`.execute(tx)),
      database.transaction((tx) => sql`insert into entries (name) values ('taken')`.execute(tx)),
      database.transaction((tx) => sql`insert into entries (name) values ('after')`.execute(tx)),
    ]);
    expect(duplicate.status).toBe('rejected');
    expect(String((duplicate as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect([before.status, after.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(committed('before').n + committed('after').n).toBe(2);
  });

  it('rejects every waiting transaction when the database cannot begin one, and works again after', async () => {
    // Another process holds the write lock for longer than the busy timeout lets a writer wait.
    const holder = new SqliteDatabase(file);
    holder.pragma('busy_timeout = 0');
    holder.exec('begin immediate');
    const blocked = await Promise.allSettled(
      [1, 2, 3].map((i) => database.transaction((tx) => sql`insert into entries (name) values (${`blocked-${i}`})`.execute(tx))),
    );
    holder.exec('rollback');
    holder.close();
    expect(blocked.map((b) => b.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await database.transaction((tx) => sql`insert into entries (name) values ('later')`.execute(tx));
    expect(committed('later').n).toBe(1);
  }, 20_000);
});
