/** The immutable, versioned envelope every event travels in (docs/architecture.md §3). */
export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  /** Ordering key: messages with the same key are handled in order. */
  key: string;
  traceparent?: string;
  data: T;
}

/** What a module hands the outbox; the platform fills in id and time. */
export interface NewEvent<T = unknown> {
  type: string;
  version?: number;
  key: string;
  traceparent?: string;
  data: T;
}
