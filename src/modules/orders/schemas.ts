import { Type } from 'typebox';
import { MoneySchema } from '../../platform/http/schemas.js';

export const OrderStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('confirmed'),
  Type.Literal('shipped'),
  Type.Literal('delivered'),
  Type.Literal('cancelled'),
]);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
export const AddressSchema = Type.Object({
  name: Text(200),
  line1: Text(200),
  line2: Type.Optional(Type.String({ maxLength: 200 })),
  city: Text(100),
  postalCode: Text(20),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
});

/** An order as API.md describes it (and as order.* events carry it). */
export const OrderSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  status: OrderStatusSchema,
  items: Type.Array(
    Type.Object({ variantId: Type.String(), sku: Type.String(), title: Type.String(), quantity: Type.Integer(), unitPrice: MoneySchema }),
  ),
  total: MoneySchema,
  shippingAddress: AddressSchema,
  payment: Type.Object({
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('succeeded'),
      Type.Literal('declined'),
      Type.Literal('failed'),
      Type.Literal('refunded'),
    ]),
  }),
  shipment: Type.Union([Type.Null(), Type.Object({ id: Type.String(), trackingNumber: Type.String(), status: Type.String() })]),
  cancellationReason: Type.Union([Type.Null(), Type.String()]),
  timeline: Type.Array(
    Type.Object({ status: OrderStatusSchema, at: Type.String({ format: 'date-time' }), note: Type.Optional(Type.String()) }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  archived: Type.Optional(
    Type.Boolean({ description: 'true when the order is read from cold storage (a final order past ORDERLY_ARCHIVE_AFTER_DAYS)' }),
  ),
});
