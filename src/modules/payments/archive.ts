import type { OrderArchivePart } from '../../platform/archive/part.js';
import { asSchema, type Database } from '../../platform/db/database.js';
import type { PaymentsTables } from './store.js';

/** An archived order's payment and every provider attempt made for it. */
export function paymentsArchivePart(database: Database): OrderArchivePart {
  return {
    name: 'payment',
    async records(orderIds) {
      if (orderIds.length === 0) return new Map();
      const db = asSchema<PaymentsTables>(database.db);
      const [payments, attempts] = await Promise.all([
        db.selectFrom('payments').selectAll().where('order_id', 'in', orderIds).execute(),
        db.selectFrom('payment_attempts').selectAll().where('order_id', 'in', orderIds).orderBy('id').execute(),
      ]);
      return new Map(
        orderIds.map((id) => [
          id,
          { payment: payments.find((p) => p.order_id === id) ?? null, attempts: attempts.filter((a) => a.order_id === id) },
        ]),
      );
    },
    async forget(tx, orderIds) {
      const db = asSchema<PaymentsTables>(tx);
      await db.deleteFrom('payment_attempts').where('order_id', 'in', orderIds).execute();
      await db.deleteFrom('payments').where('order_id', 'in', orderIds).execute();
    },
  };
}
