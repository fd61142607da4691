import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

/** Where a test app keeps its data and carries its messages: SQLite, PostgreSQL, or PostgreSQL with NATS JetStream. */
export type DatabaseKind = 'sqlite' | 'postgres' | 'nats';

/** A fresh, empty database for one app under test, and how to throw it away. */
export interface TestDatabase {
  kind: DatabaseKind;
  env: Record<string, string>;
  drop(): Promise<void>;
}

const postgresUrl = process.env.ORDERLY_TEST_POSTGRES_URL;
const natsUrl = process.env.ORDERLY_TEST_NATS_URL;
if (process.env.CI && !postgresUrl) {
  throw new Error('CI must run the suite on PostgreSQL too: set ORDERLY_TEST_POSTGRES_URL (.ci/run does)');
}
if (process.env.CI && !natsUrl) throw new Error('CI must run the messaging suites on NATS too: set ORDERLY_TEST_NATS_URL (.ci/run does)');

/** SQLite always; PostgreSQL when ORDERLY_TEST_POSTGRES_URL names a server we may create databases on. */
export const databaseKinds: DatabaseKind[] = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

/** The database kinds, and PostgreSQL with NATS JetStream when ORDERLY_TEST_NATS_URL names a server: for suites about messaging. */
export const messagingKinds: DatabaseKind[] = postgresUrl && natsUrl ? [...databaseKinds, 'nats'] : databaseKinds;

export { natsUrl as testNatsUrl };

async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: natsUrl! });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-test-'));
  const removeDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') {
    return { kind, env: { ORDERLY_DATA_DIR: dataDir }, drop: async () => removeDir() };
  }
  const suffix = randomBytes(6).toString('hex');
  const name = `orderly_test_${suffix}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  // Each app its own stream (and subjects), so apps sharing the test broker never see each other's messages.
  const stream = `T${suffix.toUpperCase()}`;
  const nats: Record<string, string> = kind === 'nats' ? { NATS_URL: natsUrl!, ORDERLY_NATS_STREAM: stream } : {};
  return {
    kind,
    env: { ORDERLY_DATA_DIR: dataDir, DATABASE_URL: url.toString(), ...nats },
    async drop() {
      removeDir();
      if (kind === 'nats') await deleteStream(stream);
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
