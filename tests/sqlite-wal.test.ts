import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/database.js';

describe('the embedded database under a steady stream of writes', () => {
  it('keeps its write-ahead log bounded: the background checkpointer starts it over', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-wal-'));
    const file = path.join(dir, 'orderly.db');
    const database = openDatabase({ kind: 'sqlite', file });
    try {
      await sql`create table filler (id integer primary key, body text not null)`.execute(database.db);
      const body = 'x'.repeat(1000);
      let written = 0;
      let largestWal = 0;
      const started = Date.now();
      // Back-to-back write transactions, never a pause for a passive checkpoint to catch up: ~6 pages each.
      while (Date.now() - started < 4_000 && written < 400 * 1024 * 1024) {
        await database.db.transaction().execute(async (tx) => {
          for (let i = 0; i < 20; i += 1) await sql`insert into filler (body) values (${body})`.execute(tx);
        });
        written += 20 * 1000;
        largestWal = Math.max(largestWal, fs.statSync(`${file}-wal`).size);
      }
      // Far more was written than the log ever held: it was started over, not grown without end.
      expect(written).toBeGreaterThan(2 * largestWal);
      expect(largestWal).toBeLessThan(128 * 1024 * 1024);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
