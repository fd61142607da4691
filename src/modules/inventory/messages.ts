import { Type } from 'typebox';
import { defineMessage } from '../../platform/messaging/contract.js';

// Commands the order saga sends inventory, and the events inventory answers with; all keyed by order id.

const OrderRef = { orderId: Type.String(), userId: Type.String() };
const StockLines = Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) }), { minItems: 1 });

export const reserveStock = defineMessage('inventory.reserve', Type.Object({ ...OrderRef, lines: StockLines }), {
  description: 'Hold every line of the order, or none of them.',
});
export const commitStock = defineMessage('inventory.commit', Type.Object(OrderRef), {
  description: 'Turn the order’s held stock into sold stock (taking it again if the hold expired).',
});
export const releaseStock = defineMessage('inventory.release', Type.Object(OrderRef), {
  description: 'Give the order’s held stock back.',
});
export const restockOrder = defineMessage('inventory.restock', Type.Object(OrderRef), {
  description: 'Put the stock a confirmed order sold back on the shelf.',
});

export const stockReserved = defineMessage(
  'inventory.reserved',
  Type.Object({ orderId: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
  {
    description: 'The order’s stock is held until expiresAt.',
  },
);
export const reservationFailed = defineMessage(
  'inventory.reservation_failed',
  Type.Object({ orderId: Type.String(), reason: Type.String() }),
  {
    description: 'The order’s stock could not be held; nothing was.',
  },
);
export const stockCommitted = defineMessage('inventory.committed', Type.Object({ orderId: Type.String() }), {
  description: 'The order’s stock is sold.',
});
export const commitFailed = defineMessage('inventory.commit_failed', Type.Object({ orderId: Type.String(), reason: Type.String() }), {
  description: 'The order’s stock could not be sold: its hold expired and the stock went meanwhile.',
});
export const stockReleased = defineMessage('inventory.released', Type.Object({ orderId: Type.String(), outcome: Type.String() }), {
  description: 'The order holds no stock any more.',
});
export const orderRestocked = defineMessage('inventory.restocked', Type.Object({ orderId: Type.String(), outcome: Type.String() }), {
  description: 'The stock the order sold is back on the shelf.',
});

export const inventoryCommands = [reserveStock, commitStock, releaseStock, restockOrder] as const;
