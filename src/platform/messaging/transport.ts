import type { Executor } from '../db/database.js';
import type { EventEnvelope } from './envelope.js';
import type { RetryPolicy } from './retry.js';

/** One message handed to one consumer group. */
export interface Delivery {
  group: string;
  envelope: EventEnvelope;
  /** 1 on the first delivery, counting every earlier failed one. */
  attempt: number;
  /** The outbox position of the first message of its chain; what its handler publishes continues the chain. */
  root: number;
}

export interface DeadLetter {
  id: string;
  messageId: string;
  type: string;
  key: string;
  group: string;
  attempts: number;
  error: string | null;
  occurredAt: string;
  deadAt: string;
  data: unknown;
}

/** Which dead letters an operator means: exact consumer group and message type, each optional. */
export interface DeadLetterFilter {
  group?: string;
  type?: string;
}

/** Messages that exhausted their retries, kept with their error until an operator redrives them. */
export interface DeadLetterStore {
  list(limit: number, before?: string, filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  /**
   * Puts the message back in front of its group with a fresh retry budget; false when there is no such dead
   * letter. `within` runs in the transaction of the redrive (a request records its answer there).
   */
  redrive(id: string, within?: (tx: Executor) => Promise<void>): Promise<boolean>;
  /**
   * Inside the caller's transaction: puts back up to `limit` dead letters matching `filter`, oldest first,
   * each with a fresh retry budget; how many. Call `wake` once that transaction committed.
   */
  redriveMatching(tx: Executor, filter: DeadLetterFilter, limit: number): Promise<number>;
  /** Redriven work waits: the consumers look for it now rather than at their next poll. */
  wake(): void;
  count(): Promise<number>;
}

/** Deliveries a consumer group has not handled yet (dead letters aside), and since when the oldest waits. */
export interface GroupLag {
  backlog: number;
  /** When the oldest of them was enqueued; null when none waits or the transport cannot tell. */
  oldestAt: string | null;
}

/** What the transport can tell `orderly verify` about messages not yet handled. */
export interface DeliveryBacklog {
  pending: number;
  dead: number;
  /** Pending deliveries due for longer than the threshold and not being worked on: stuck. */
  overdue: { messageId: string; type: string; group: string; attempts: number; dueSince: string }[];
  /** Messages a current subscriber neither applied nor holds pending or dead: lost. */
  lost: { messageId: string; type: string; group: string }[];
}

/**
 * Moves committed messages to consumer groups, at least once, in order per key, retrying failures
 * with backoff and dead-lettering what exhausts its retries. The embedded transport keeps its queue in
 * the database; a broker-backed one (NATS JetStream) implements the same contract.
 */
export interface Transport {
  /**
   * Inside the producer's transaction: makes each stored message (with its outbox position, and that of the
   * first message of its chain) durable for every group that subscribes to it.
   */
  enqueue(
    tx: Executor,
    messages: { envelope: EventEnvelope; seq: number; root: number }[],
    groupsFor: (type: string) => string[],
  ): Promise<void>;
  /** Starts handing deliveries to `handle`; a rejection schedules a retry under the group's policy. */
  start(handle: (delivery: Delivery) => Promise<void>, policyFor: (group: string) => RetryPolicy, groups: readonly string[]): void;
  /** Marks deliveries this transport handed out handled, inside the transaction that applied their effects: one statement for all. */
  settle(tx: Executor, deliveries: readonly Delivery[]): Promise<void>;
  /** Something was committed: look for work now rather than at the next poll. */
  wake(): void;
  /** Stops taking work and waits for what is in flight. */
  stop(): Promise<void>;
  deadLetters: DeadLetterStore;
  /** How many deliveries wait, and how many are dead-lettered: cheap enough for every metrics scrape. */
  counts(): Promise<{ pending: number; dead: number }>;
  backlog(groupsFor: (type: string) => string[], overdueAfterMs: number): Promise<DeliveryBacklog>;
  /** Resolves when the transport can carry messages now (its broker answers); for /readyz. */
  health(): Promise<void>;
  /** Messages waiting per consumer group, for the metrics. */
  pendingByGroup(): Promise<Map<string, number>>;
  /** Backlog and the oldest waiting delivery per consumer group that has any, for operators' summary. */
  lagByGroup(): Promise<Map<string, GroupLag>>;
  /** Lets go of connections that outlive stop (or that a process that never started holds). */
  close(): Promise<void>;
}
