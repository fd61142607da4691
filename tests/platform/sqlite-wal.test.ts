import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';

// The WAL header's checkpoint sequence number (bytes 12–15), which SQLite bumps each time the log is started over.
function walSequence(file: string): number {
  const header = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : -1;
  } finally {
    fs.closeSync(fd);
  }
}

describe('the embedded database under a steady stream of writes', () => {
  it('keeps its write-ahead log bounded: the background checkpointer starts it over', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-wal-'));
    const file = path.join(dir, 'orderly.db');
    const database = openDatabase({ kind: 'sqlite', file });
    try {
      await sql`create table filler (id integer primary key, body text not null)`.execute(database.db);
      const body = 'x'.repeat(1000);
      // The checkpointer starts the log over past 64 MiB; writing eight times that, by volume and not for a
      // while, proves it does so again and again. How far past the mark the log gets before a restart
      // depends on how fast the machine writes, so the bound is generous: unbounded growth would pass it.
      const restartAt = 64 * 1024 * 1024;
      const volume = 8 * restartAt;
      let written = 0;
      let largestWal = 0;
      const sequences = new Set<number>();
      // Back-to-back write transactions, never a pause for a passive checkpoint to catch up: ~6 pages each.
      while (written < volume) {
        await database.db.transaction().execute(async (tx) => {
          for (let i = 0; i < 20; i += 1) await sql`insert into filler (body) values (${body})`.execute(tx);
        });
        written += 20 * 1000;
        largestWal = Math.max(largestWal, fs.statSync(`${file}-wal`).size);
        sequences.add(walSequence(`${file}-wal`));
      }
      expect(sequences.size).toBeGreaterThanOrEqual(3);
      expect(largestWal).toBeLessThan(4 * restartAt);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
