import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';

/** Where Orderly's messages live in JetStream, and how they are cut for ordered, competing consumption. */
export interface NatsTopology {
  stream: string;
  partitions: number;
  replicas: number;
  ackWaitMs: number;
}

/**
 * Subjects are `<prefix>.<group>.<partition>`: the relay publishes a message once per group that
 * consumes it, on the partition of its key. Each (group, partition) has one durable consumer with at most
 * one delivery unacknowledged, so a key's messages are handled one after another, in order, by whichever
 * worker pulls them; the partitions of a group are worked in parallel, by every worker at once.
 */
export const subjectPrefix = (topology: NatsTopology) => topology.stream.toLowerCase();

export function subjectOf(topology: NatsTopology, group: string, partition: number): string {
  return `${subjectPrefix(topology)}.${group}.${partition}`;
}

export const consumerName = (group: string, partition: number) => `${group.replaceAll('.', '_')}-${partition}`;

/** FNV-1a of the key: stable across processes and releases, so a key always lands on the same partition. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** The durable consumer of one (group, partition). */
export function consumerConfig(topology: NatsTopology, group: string, partition: number) {
  return {
    durable_name: consumerName(group, partition),
    filter_subject: subjectOf(topology, group, partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1,
    ack_wait: topology.ackWaitMs * 1_000_000,
    max_deliver: -1,
    num_replicas: topology.replicas,
  };
}

/** The group and partition a consumer's subject names, or null for a subject that is not one of ours. */
export function partOfSubject(topology: NatsTopology, subject: string): { group: string; partition: number } | null {
  const prefix = `${subjectPrefix(topology)}.`;
  if (!subject.startsWith(prefix)) return null;
  const rest = subject.slice(prefix.length);
  const dot = rest.lastIndexOf('.');
  const partition = Number(rest.slice(dot + 1));
  return dot > 0 && Number.isInteger(partition) ? { group: rest.slice(0, dot), partition } : null;
}

/**
 * Creates the stream and every (group, partition) consumer, or brings their settings up to date. A work
 * queue: a message is removed once its consumer acknowledges it, so the stream holds only what is still to
 * be handled; files on disk, so a broker restart loses nothing.
 */
export async function ensureTopology(jsm: JetStreamManager, topology: NatsTopology, groups: readonly string[]): Promise<void> {
  const stream = {
    name: topology.stream,
    subjects: [`${subjectPrefix(topology)}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: topology.replicas,
    // A republish of the same message after a relay crash is dropped within this window (the inbox absorbs a later one).
    duplicate_window: 120_000_000_000,
  };
  const existing = await jsm.streams.info(topology.stream).catch(() => null);
  if (existing) await jsm.streams.update(topology.stream, stream);
  else await jsm.streams.add(stream);
  const known = new Set<string>();
  for await (const consumer of jsm.consumers.list(topology.stream)) known.add(consumer.name);
  for (const group of groups) {
    for (let partition = 0; partition < topology.partitions; partition += 1) {
      const config = consumerConfig(topology, group, partition);
      if (known.has(config.durable_name)) {
        await jsm.consumers.update(topology.stream, config.durable_name, { ack_wait: config.ack_wait, max_ack_pending: 1 });
      } else await jsm.consumers.add(topology.stream, config);
    }
  }
}
