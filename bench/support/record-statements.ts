// Loaded with `node --import` into an Orderly process by bench/checkout-floor.ts: writes every statement
// the main thread runs through better-sqlite3, with its parameters and database file, one JSON line each,
// to ORDERLY_RECORD_STATEMENTS, so the same work can be replayed on SQLite alone.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import Database from 'better-sqlite3';

export type RecordedStatement = [file: string, sql: string, params: unknown[], failed: boolean];

const out = process.env.ORDERLY_RECORD_STATEMENTS;
if (out && isMainThread) {
  const probe = new Database(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  let lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) fs.appendFileSync(out, lines.join(''));
    lines = [];
  };
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = statement[method]!;
    statement[method] = function (this: { source: string; database: { name: string } }, ...params: unknown[]) {
      // Checkpoints and settings are not the workload.
      if (/^\s*pragma\s/i.test(this.source)) return original.apply(this, params);
      let failed = true;
      try {
        const result = original.apply(this, params);
        failed = false;
        return result;
      } finally {
        const entry: RecordedStatement = [this.database.name, this.source, params, failed];
        lines.push(`${JSON.stringify(entry)}\n`);
        if (lines.length >= 5_000) flush();
      }
    };
  }
  process.on('exit', flush);
}
