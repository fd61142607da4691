import { Type } from 'typebox';
import { principalOf } from '../platform/http/auth.js';
import { privateResponses } from '../platform/http/caching.js';
import { IdParams, MoneySchema, problems } from '../platform/http/schemas.js';
import type { HttpApp } from '../platform/http/types.js';
import { isId } from '../platform/db/ids.js';
import { OrderSchema, ordersErrors } from '../modules/orders/index.js';
import { operatorOrderView, type OrderViewSources } from './order-view.js';

const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const MaybeText = Type.Union([Type.String(), Type.Null()]);

const OperatorOrderSchema = Type.Object({
  order: OrderSchema,
  customer: Type.Union([Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }), Type.Null()]),
  saga: Type.Object({
    status: Type.String({ description: "the saga's step (reserving, charging, …, confirmed, cancelled)" }),
    steps: Type.Array(
      Type.Object({
        name: Type.String({ description: 'e.g. reserve stock, authorize payment, release stock' }),
        kind: Type.Union([Type.Literal('step'), Type.Literal('compensation')]),
        status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('pending')]),
        attempts: Type.Integer(),
        error: MaybeText,
        startedAt: MaybeTime,
        finishedAt: MaybeTime,
      }),
      { description: 'in the order they started, from the commands and answers the saga exchanged on the bus' },
    ),
  }),
  payment: Type.Union([
    Type.Object({
      status: Type.String(),
      amount: MoneySchema,
      attempts: Type.Array(
        Type.Object({
          operation: Type.String({ description: 'charge or refund' }),
          outcome: Type.String(),
          error: MaybeText,
          at: Time,
        }),
      ),
    }),
    Type.Null(),
  ]),
  shipment: Type.Union([
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      trackingNumber: Type.String(),
      history: Type.Array(Type.Object({ status: Type.String(), at: Time })),
    }),
    Type.Null(),
  ]),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      direction: Type.Union([Type.Literal('published'), Type.Literal('handled')]),
      group: MaybeText,
      at: Time,
    }),
  ),
  traceId: Type.Union([Type.String({ description: 'the W3C trace id its messages carry' }), Type.Null()]),
});

export async function operatorOrderRoutes(app: HttpApp, sources: OrderViewSources): Promise<void> {
  privateResponses(app);
  app.get(
    '/admin/orders/:id',
    {
      config: { auth: 'admin', priority: 'orders' },
      schema: {
        tags: ['orders'],
        security: [{ bearer: [] }],
        summary: "The operator's view of one order: customer, saga steps with attempts and errors, payment, shipment, bus messages",
        params: IdParams,
        response: { 200: OperatorOrderSchema, ...problems(401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const view = isId(id, 'ord') ? await operatorOrderView(sources, principalOf(request), id) : null;
      if (!view) throw ordersErrors.error('order_not_found', `No order ${id}`);
      return view;
    },
  );
}
