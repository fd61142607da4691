import path from 'node:path';
import { sql } from 'kysely';
import { Registry, type MetricValueWithName } from 'prom-client';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrations.js';
import { createMessageBus, type MessageBus } from '../../src/platform/messaging/bus.js';
import { defineMessage } from '../../src/platform/messaging/contract.js';
import { messagingMigrations } from '../../src/platform/messaging/schema.js';
import { createLocalTransport } from '../../src/platform/messaging/transports/local.js';
import { createNatsTransport } from '../../src/platform/messaging/transports/nats.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createTestDatabase, messagingKinds, testNatsUrl, type TestDatabase } from '../support/databases.js';
import { eventually } from '../support/payment-sim.js';

const counted = defineMessage('tally.count', Type.Object({ n: Type.Integer(), poison: Type.Boolean() }), {
  description: 'a test message: apply it by recording it',
});
const KEYS = 20;
const PER_KEY = 3;
// The one message whose effect throws, every time: the second of key-7's three.
const poisoned = (key: string, n: number) => key === 'key-7' && n === 1;

// The bus applies the effects of a group's concurrent deliveries in one transaction, with one statement
// per kind for all; these are the promises that must survive it, on every transport.
describe.each(messagingKinds)('set-based message batches on %s', (kind) => {
  let test: TestDatabase;
  let database: Database;
  let bus: MessageBus;
  const registry = new Registry();
  // How many times each message's effect ran, committed or not.
  const runs = new Map<string, number>();

  beforeAll(async () => {
    test = await createTestDatabase(kind);
    database =
      kind === 'sqlite'
        ? openDatabase({ kind: 'sqlite', file: path.join(test.env.ORDERLY_DATA_DIR!, 'batches.db') })
        : openDatabase({ kind: 'postgres', url: test.env.DATABASE_URL!, poolSize: 8 });
    await migrateToLatest(database, [messagingMigrations]);
    const id = kind === 'sqlite' ? sql`integer primary key autoincrement` : sql`serial primary key`;
    await sql`create table applied (id ${id}, key text not null, n integer not null, message_id text not null)`.execute(database.db);
    const logger = createLogger('silent');
    const transport =
      kind === 'nats'
        ? createNatsTransport(database, logger, {
            servers: [testNatsUrl!],
            stream: test.env.ORDERLY_NATS_STREAM!,
            partitions: 8,
            replicas: 1,
            ackWaitMs: 30_000,
            pollIntervalMs: 1_000,
          })
        : createLocalTransport(database, logger, { pollIntervalMs: 100, leaseMs: 5_000, batchSize: 64, concurrency: 32 });
    bus = createMessageBus(database, transport, logger, registry, {
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
      duplicateDelivery: false,
      batchSize: 32,
    });
    bus.subscribe({
      group: 'tally',
      messages: [counted],
      async handle(message, context) {
        await context.apply(async (tx, publish) => {
          runs.set(message.id, (runs.get(message.id) ?? 0) + 1);
          await sql`insert into applied (key, n, message_id) values (${message.key}, ${message.data.n}, ${message.id})`.execute(tx);
          await publish([{ type: 'tally.counted', key: message.key, data: { n: message.data.n } }]);
          if (message.data.poison) throw new Error(`poisoned ${message.key}/${message.data.n}`);
        });
      },
    });
    // Everything is waiting before the consumers start, so deliveries are handed out together.
    await bus.transaction(async (_tx, publish) => {
      for (let n = 0; n < PER_KEY; n += 1) {
        await publish(Array.from({ length: KEYS }, (_, k) => counted.event(`key-${k}`, { n, poison: poisoned(`key-${k}`, n) })));
      }
    });
    bus.start();
  });

  afterAll(async () => {
    await bus?.stop();
    await bus?.close();
    await database?.close();
    await test?.drop();
  });

  it('applies every message once, in order per key, while a poisoned one fails alone and is dead-lettered', async () => {
    const letters = await eventually(
      'the poisoned message dead-lettered and the rest applied',
      async () => {
        const dead = await bus.deadLetters.list(10);
        const applied = await sql<{ n: number }>`select count(*) as n from applied`.execute(database.db);
        return dead.length === 1 && Number(applied.rows[0]!.n) === KEYS * PER_KEY - 1 ? dead : null;
      },
      30_000,
    );
    expect(letters[0]).toMatchObject({ group: 'tally', key: 'key-7', attempts: 3, error: 'poisoned key-7/1' });

    const rows = (
      await sql<{ key: string; n: number; message_id: string }>`select key, n, message_id from applied order by id`.execute(database.db)
    ).rows;
    // Exactly once: no message recorded twice, and none but the poisoned one's effect ever ran twice.
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(rows.length);
    const reruns = [...runs.entries()].filter(([, count]) => count > 1);
    expect(reruns).toHaveLength(1);
    expect(reruns[0]![1]).toBe(3);
    // In order per key; key-7's third message went on once its second was dead-lettered.
    for (let k = 0; k < KEYS; k += 1) {
      const ns = rows.filter((r) => r.key === `key-${k}`).map((r) => Number(r.n));
      expect(ns).toEqual(k === 7 ? [0, 2] : [0, 1, 2]);
    }
    // What a failed effect published went with it; what the others published is in the outbox, once each.
    const outbox = await sql<{ n: number }>`select count(*) as n from outbox where type = 'tally.counted'`.execute(database.db);
    expect(Number(outbox.rows[0]!.n)).toBe(KEYS * PER_KEY - 1);

    // The deliveries were applied in shared transactions, not one by one.
    const sizes = (await registry.getSingleMetric('orderly_message_batch_size')!.get()).values as MetricValueWithName<string>[];
    const total = (name: string) => sizes.find((v) => v.metricName === name && v.labels.group === 'tally')!.value;
    expect(total('orderly_message_batch_size_sum')).toBeGreaterThan(total('orderly_message_batch_size_count'));
    const report = await bus.backlog(60_000);
    expect(report).toMatchObject({ pending: 0, dead: 1, overdue: [], lost: [] });
  });
});
