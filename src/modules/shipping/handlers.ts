import type { Subscription } from '../../platform/messaging/bus.js';
import { orderConfirmed } from '../orders/messages.js';
import { holdShipment, shipmentCancelled, shipmentCancelRefused, shipmentCreated } from './messages.js';
import { newShipment, shipmentView } from './shipments.js';
import { createShippingStore } from './store.js';

/** Creates a shipment for each confirmed order, and holds (cancels) one when its order is being cancelled. */
export function shippingSubscription(): Subscription<typeof orderConfirmed | typeof holdShipment> {
  return {
    group: 'shipping',
    messages: [orderConfirmed, holdShipment],
    async handle(message, context) {
      const { orderId, userId } = message.data;
      await context.apply(async (tx, publish) => {
        const s = createShippingStore(tx);
        if (message.type === orderConfirmed.type) {
          const { shipment, created } = await s.ensure(newShipment(orderId, userId, 'created'));
          if (created) await publish([shipmentCreated.event(orderId, shipmentView(shipment))]);
          return;
        }
        // A cancel can reach shipping before the shipment exists: create it cancelled, so it never ships.
        const { shipment, created } = await s.ensure(newShipment(orderId, userId, 'cancelled'));
        const held = created || shipment.status === 'cancelled' || (await s.transition(shipment.id, 'created', 'cancelled'));
        await publish([
          held
            ? shipmentCancelled.event(orderId, { ...shipmentView(shipment), status: 'cancelled' })
            : shipmentCancelRefused.event(orderId, shipmentView((await s.byOrder(orderId))!)),
        ]);
      });
    },
  };
}
