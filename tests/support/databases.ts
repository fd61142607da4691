import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres';

/** A fresh, empty database for one app under test, and how to throw it away. */
export interface TestDatabase {
  kind: DatabaseKind;
  env: Record<string, string>;
  drop(): Promise<void>;
}

const postgresUrl = process.env.ORDERLY_TEST_POSTGRES_URL;
if (process.env.CI && !postgresUrl) {
  throw new Error('CI must run the suite on PostgreSQL too: set ORDERLY_TEST_POSTGRES_URL (.ci/run does)');
}

/** SQLite always; PostgreSQL when ORDERLY_TEST_POSTGRES_URL names a server we may create databases on. */
export const databaseKinds: DatabaseKind[] = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-test-'));
  const removeDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') {
    return { kind, env: { ORDERLY_DATA_DIR: dataDir }, drop: async () => removeDir() };
  }
  const name = `orderly_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  return {
    kind,
    env: { ORDERLY_DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    async drop() {
      removeDir();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
