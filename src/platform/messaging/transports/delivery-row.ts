import type { EventEnvelope } from '../envelope.js';

/** A delivery as a claim hands it out: its row in messaging_deliveries with its message from the outbox. */
export type DeliveryRow = {
  id: number;
  group_name: string;
  attempts: number;
  root_seq: number;
  message_id: string;
  type: string;
  version: number;
  key: string;
  occurred_at: string;
  traceparent: string | null;
  data: string;
};

export function envelopeOf(row: DeliveryRow): EventEnvelope {
  return {
    id: row.message_id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurred_at,
    key: row.key,
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
    data: JSON.parse(row.data) as unknown,
  };
}
