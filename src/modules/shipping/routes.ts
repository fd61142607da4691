import { Type } from 'typebox';
import { requireAccess } from '../../platform/http/auth.js';
import { privateResponses } from '../../platform/http/caching.js';
import { platformErrors } from '../../platform/http/errors.js';
import { IdParams, problems } from '../../platform/http/schemas.js';
import type { HttpApp } from '../../platform/http/types.js';
import { effect } from '../../platform/idempotency/effects.js';
import { auditActorOf } from '../../platform/audit/actor.js';
import type { Shipment, ShippingService } from './service.js';

const Status = Type.Union([Type.Literal('created'), Type.Literal('in_transit'), Type.Literal('delivered'), Type.Literal('cancelled')]);
const ShipmentSchema = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  trackingNumber: Type.String(),
  status: Status,
  history: Type.Array(Type.Object({ status: Status, at: Type.String({ format: 'date-time' }) })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export async function shippingRoutes(app: HttpApp, service: ShippingService): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  const common = { tags: ['shipments'], security: [{ bearer: [] }], params: IdParams };

  app.get(
    '/shipments/:id',
    {
      schema: { ...common, summary: 'A shipment with its status history', response: { 200: ShipmentSchema, ...problems(401, 403, 404) } },
    },
    async (request) => {
      const shipment = await service.get(request.params.id);
      if (!shipment) throw platformErrors.error('not_found', `No shipment ${request.params.id}`);
      return shipment;
    },
  );

  app.post(
    '/shipments/:id/status',
    {
      config: { effect: effect<Shipment>('shipping.status', 200) },
      schema: {
        ...common,
        summary: 'Move a shipment on: created → in_transit → delivered; its order becomes shipped / delivered',
        body: Type.Object({ status: Type.Union([Type.Literal('in_transit'), Type.Literal('delivered')]) }),
        response: { 200: ShipmentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service.updateStatus(request.params.id, request.body.status, auditActorOf(request)),
  );
}
