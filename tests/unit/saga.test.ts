import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/platform/messaging/envelope.js';
import { decide, requestCancellation, type Decision, type SagaState } from '../../src/modules/orders/saga.js';
import type { SagaRow } from '../../src/modules/orders/store.js';

const at = '2026-12-01T10:00:00.000Z';
function state(saga: Partial<SagaRow> = {}, status: SagaState['order']['status'] = 'pending'): SagaState {
  return {
    order: {
      id: 'ord_1',
      user_id: 'usr_1',
      status,
      total_amount: 2400,
      currency: 'USD',
      shipping_address: '{}',
      payment_token: 'tok_visa',
      payment_status: 'pending',
      shipment: null,
      cancellation_reason: null,
      created_at: at,
      updated_at: at,
    },
    lines: [
      {
        order_id: 'ord_1',
        position: 0,
        user_id: 'usr_1',
        variant_id: 'var_1',
        sku: 'MUG',
        title: 'Mug',
        quantity: 2,
        unit_amount: 1200,
        currency: 'USD',
      },
    ],
    saga: {
      order_id: 'ord_1',
      user_id: 'usr_1',
      step: 'reserving',
      stock: 'none',
      payment: 'none',
      cancel_reason: null,
      deadline: at,
      version: 0,
      last_event: null,
      updated_at: at,
      ...saga,
    },
  };
}
const event = (type: string, data: Record<string, unknown> = {}): EventEnvelope => ({
  id: 'msg_1',
  type,
  version: 1,
  occurredAt: at,
  key: 'ord_1',
  data: { orderId: 'ord_1', ...data },
});
/** Applies a decision to the state, as the runner writes it. */
function apply(s: SagaState, d: Decision): SagaState {
  return { ...s, saga: { ...s.saga, ...d.saga }, order: { ...s.order, ...d.order } };
}
const sent = (d: Decision | null) => [...(d?.publish ?? []).map((e) => e.type), ...(d?.announce ?? []).map((a) => a.message.type)];

describe('the order saga', () => {
  it('walks its steps in order: reserve, charge (with the hold as its deadline), commit, then confirmed', () => {
    let s = state();
    const reserved = decide(s, event('inventory.reserved', { expiresAt: '2026-12-01T10:15:00.000Z' }))!;
    expect(sent(reserved)).toEqual(['payment.charge']);
    expect(reserved.publish[0]!.data).toMatchObject({
      amount: 2400,
      currency: 'USD',
      token: 'tok_visa',
      payBy: '2026-12-01T10:15:00.000Z',
    });
    expect(reserved.saga).toEqual({ stock: 'held', step: 'charging' });
    s = apply(s, reserved);
    const charged = decide(s, event('payment.succeeded', { paymentId: 'pay_1', amount: 2400, currency: 'USD' }))!;
    expect(sent(charged)).toEqual(['inventory.commit']);
    expect(charged.order.payment_status).toBe('succeeded');
    s = apply(s, charged);
    const committed = decide(s, event('inventory.committed'))!;
    expect(committed.saga).toEqual({ stock: 'committed', step: 'confirmed' });
    expect(committed.order.status).toBe('confirmed');
    expect(sent(committed)).toEqual(['order.confirmed']);
    expect(committed.announce[0]!.extra).toEqual({
      total: { amount: 2400, currency: 'USD' },
      items: [{ variantId: 'var_1', sku: 'MUG', quantity: 2 }],
    });
  });

  it('ignores an answer that does not belong to the current step (a late duplicate)', () => {
    expect(decide(state({ step: 'charging', stock: 'held' }), event('inventory.reserved', { expiresAt: at }))).toBeNull();
    expect(
      decide(
        state({ step: 'confirmed', stock: 'committed', payment: 'charged' }),
        event('payment.succeeded', { paymentId: 'p', amount: 1, currency: 'USD' }),
      ),
    ).toBeNull();
    expect(decide(state(), event('shipment.cancelled', { shipmentId: 's', trackingNumber: 't', status: 'cancelled' }))).toBeNull();
  });

  it('cancels out_of_stock at once when nothing was reserved', () => {
    const d = decide(state(), event('inventory.reservation_failed', { reason: 'insufficient_stock' }))!;
    expect(d.saga).toMatchObject({ step: 'cancelled', cancel_reason: 'out_of_stock' });
    expect(d.order).toMatchObject({ status: 'cancelled', cancellation_reason: 'out_of_stock' });
    expect(sent(d)).toEqual(['order.cancelled']);
  });

  it('on a declined card undoes what the steps recorded: the hold is released, then the order cancelled', () => {
    let s = state({ step: 'charging', stock: 'held' });
    const declined = decide(s, event('payment.declined', { paymentId: 'pay_1', code: 'insufficient_funds' }))!;
    expect(declined.order.payment_status).toBe('declined');
    expect(declined.timeline.map((t) => t.note)).toEqual(['payment declined (insufficient_funds)']);
    expect(declined.saga).toMatchObject({ step: 'releasing', cancel_reason: 'payment_declined' });
    expect(sent(declined)).toEqual(['inventory.release']);
    s = apply(s, declined);
    const released = decide(s, event('inventory.released', { outcome: 'released' }))!;
    expect(released.saga).toMatchObject({ stock: 'none', step: 'cancelled' });
    expect(released.order.cancellation_reason).toBe('payment_declined');
  });

  it('compensates newest step first: a failed commit refunds, then releases, then cancels out_of_stock', () => {
    let s = state({ step: 'committing', stock: 'held', payment: 'charged' });
    const steps: string[] = [];
    let d = decide(s, event('inventory.commit_failed', { reason: 'insufficient_stock' }))!;
    while (d.saga.step !== 'cancelled') {
      steps.push(...sent(d));
      s = apply(s, d);
      const answer =
        d.publish[0]!.type === 'payment.refund'
          ? event('payment.refunded', { userId: 'usr_1', amount: 2400, currency: 'USD' })
          : event('inventory.released', { outcome: 'released' });
      d = decide(s, answer)!;
    }
    expect(steps).toEqual(['payment.refund', 'inventory.release']);
    expect(d.order).toMatchObject({ status: 'cancelled', cancellation_reason: 'out_of_stock' });
    expect(s.order.payment_status).toBe('refunded');
  });

  it('cancels a confirmed order by holding its shipment first, then undoing newest first: restock, refund', () => {
    let s = state({ step: 'confirmed', stock: 'committed', payment: 'charged' }, 'confirmed');
    const asked = requestCancellation(s, 'customer_request')!;
    expect(asked.saga).toEqual({ cancel_reason: 'customer_request', step: 'holding_shipment' });
    expect(sent(asked)).toEqual(['shipment.cancel']);
    expect(requestCancellation(apply(s, asked), 'admin_request')).toBeNull();
    s = apply(s, asked);
    const held = decide(s, event('shipment.cancelled', { shipmentId: 'shp_1', trackingNumber: 'OR1', status: 'cancelled' }))!;
    expect(sent(held)).toEqual(['inventory.restock']);
    s = apply(s, held);
    const restocked = decide(s, event('inventory.restocked', { outcome: 'restocked' }))!;
    expect(sent(restocked)).toEqual(['payment.refund']);
    s = apply(s, restocked);
    const refunded = decide(s, event('payment.refunded', { userId: 'usr_1', amount: 2400, currency: 'USD' }))!;
    expect(refunded.order).toMatchObject({ status: 'cancelled', cancellation_reason: 'customer_request', payment_status: 'refunded' });
  });

  it('goes back to confirmed when the shipment has left already', () => {
    const s = state({ step: 'holding_shipment', stock: 'committed', payment: 'charged', cancel_reason: 'customer_request' }, 'confirmed');
    const d = decide(s, event('shipment.cancel_refused', { shipmentId: 'shp_1', trackingNumber: 'OR1', status: 'in_transit' }))!;
    expect(d.saga).toEqual({ step: 'confirmed', cancel_reason: null });
    expect(d.publish).toEqual([]);
  });

  it('compensates a cancellation asked for mid-saga at the next answer', () => {
    let s = state({ step: 'charging', stock: 'held' });
    s = apply(s, requestCancellation(s, 'expired')!);
    const d = decide(s, event('payment.succeeded', { paymentId: 'pay_1', amount: 2400, currency: 'USD' }))!;
    expect(d.saga).toMatchObject({ payment: 'charged', step: 'refunding' });
    expect(sent(d)).toEqual(['payment.refund']);
  });

  it('moves a confirmed order on with its shipment, announcing shipped and delivered', () => {
    const shipment = { shipmentId: 'shp_1', trackingNumber: 'OR12-3456-7890', status: 'in_transit' };
    const s = state({ step: 'confirmed', stock: 'committed', payment: 'charged' }, 'confirmed');
    const shipped = decide(s, event('shipment.in_transit', shipment))!;
    expect(shipped.order.status).toBe('shipped');
    expect(shipped.announce.map((a) => [a.message.type, a.extra])).toEqual([['order.shipped', { trackingNumber: 'OR12-3456-7890' }]]);
    const delivered = decide(apply(s, shipped), event('shipment.delivered', { ...shipment, status: 'delivered' }))!;
    expect(delivered.order.status).toBe('delivered');
    expect(decide(s, event('shipment.delivered', { ...shipment, status: 'delivered' }))).toBeNull();
  });
});
