import { Type } from 'typebox';
import { defineMessage } from '../../platform/messaging/contract.js';

// Keyed by order id.

const ShipmentView = Type.Object({
  shipmentId: Type.String(),
  orderId: Type.String(),
  trackingNumber: Type.String(),
  status: Type.Union([Type.Literal('created'), Type.Literal('in_transit'), Type.Literal('delivered'), Type.Literal('cancelled')]),
});

export const holdShipment = defineMessage('shipment.cancel', Type.Object({ orderId: Type.String(), userId: Type.String() }), {
  description: 'Stop the order’s shipment, unless it has left: the answer says which.',
});

export const shipmentCreated = defineMessage('shipment.created', ShipmentView, {
  description: 'A confirmed order’s shipment was created, with its tracking number.',
  public: true,
});
export const shipmentInTransit = defineMessage('shipment.in_transit', ShipmentView, { description: 'The shipment left the warehouse.' });
export const shipmentDelivered = defineMessage('shipment.delivered', ShipmentView, { description: 'The shipment was delivered.' });
export const shipmentCancelled = defineMessage('shipment.cancelled', ShipmentView, {
  description: 'The shipment was stopped before it left.',
});
export const shipmentCancelRefused = defineMessage('shipment.cancel_refused', ShipmentView, {
  description: 'The shipment could not be stopped: it is on its way.',
});

/** Every shipment event, in the order a shipment meets them. */
export const shipmentEvents = [shipmentCreated, shipmentInTransit, shipmentDelivered, shipmentCancelled, shipmentCancelRefused] as const;
