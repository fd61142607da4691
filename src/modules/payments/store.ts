import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';

export type PaymentStatus = 'succeeded' | 'declined' | 'failed' | 'refunded';

export interface PaymentsTables {
  payments: {
    id: string;
    order_id: string;
    user_id: string;
    amount: number;
    currency: string;
    status: PaymentStatus;
    provider: string;
    provider_charge_id: string | null;
    provider_refund_id: string | null;
    failure: string | null;
    created_at: string;
    updated_at: string;
  };
  payment_attempts: {
    id: string;
    order_id: string;
    user_id: string;
    kind: 'charge' | 'refund';
    outcome: string;
    detail: string | null;
    at: string;
  };
}

export type PaymentRow = Selectable<PaymentsTables['payments']>;

export function createPaymentsStore(executor: Executor) {
  const db: Kysely<PaymentsTables> = asSchema<PaymentsTables>(executor);
  return {
    byOrder: (orderId: string) => db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst(),

    /** Records the charge outcome; a payment already recorded for the order is left as it is. */
    insert: (row: PaymentRow) =>
      db
        .insertInto('payments')
        .values(row)
        .onConflict((oc) => oc.column('order_id').doNothing())
        .execute(),

    markRefunded: (orderId: string, refundId: string) =>
      db
        .updateTable('payments')
        .set({ status: 'refunded', provider_refund_id: refundId, updated_at: nowIso() })
        .where('order_id', '=', orderId)
        .execute(),

    attemptsOf: (orderId: string) => db.selectFrom('payment_attempts').selectAll().where('order_id', '=', orderId).orderBy('id').execute(),

    attempt: (row: { order_id: string; user_id: string; kind: 'charge' | 'refund'; outcome: string; detail: string | null }) =>
      db
        .insertInto('payment_attempts')
        .values({ id: newId('pat'), at: nowIso(), ...row })
        .execute(),
  };
}
