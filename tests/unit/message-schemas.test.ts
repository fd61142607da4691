import { describe, expect, it } from 'vitest';
import type { MessageContract } from '../../src/platform/messaging/contract.js';
import * as catalog from '../../src/modules/catalog/messages.js';
import * as identity from '../../src/modules/identity/messages.js';
import * as inventory from '../../src/modules/inventory/messages.js';
import * as notifications from '../../src/modules/notifications/messages.js';
import * as orders from '../../src/modules/orders/messages.js';
import * as payments from '../../src/modules/payments/messages.js';
import * as shipping from '../../src/modules/shipping/messages.js';

const contracts = [catalog, identity, inventory, orders, payments, shipping, notifications.sendNotification]
  .flatMap((m) => Object.values(m))
  .filter((v): v is MessageContract => typeof v === 'object' && v !== null && 'schema' in v);

describe('message contracts', () => {
  it('name each type once, each with a version and a description', () => {
    const types = contracts.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    for (const c of contracts) {
      expect(c.type).toMatch(/^[a-z]+\.[a-z_]+$/);
      expect(c.version).toBe(1);
      expect(c.description.length).toBeGreaterThan(10);
    }
  });

  it('accept the payloads their producers build and name the field of one that is wrong', () => {
    const reserve = inventory.reserveStock.event('ord_1', { orderId: 'ord_1', userId: 'usr_1', lines: [{ sku: 'MUG', quantity: 2 }] });
    expect(reserve).toMatchObject({ type: 'inventory.reserve', version: 1, key: 'ord_1' });
    expect(inventory.reserveStock.problem(reserve.data)).toBeNull();
    expect(inventory.reserveStock.problem({ orderId: 'ord_1', userId: 'usr_1', lines: [{ sku: 'MUG', quantity: 'two' }] })).toBe(
      '/lines/0/quantity must be integer',
    );
    expect(inventory.reserveStock.problem({ orderId: 'ord_1', userId: 'usr_1', lines: [] })).toMatch(/^\/lines /);
    expect(inventory.reserveStock.problem({ userId: 'usr_1', lines: [{ sku: 'A', quantity: 1 }] })).toMatch(/orderId/);
    expect(payments.chargePayment.problem({ orderId: 'o', userId: 'u', amount: 100, currency: 'usd', token: 't' })).toMatch(/^\/currency /);
    expect(payments.paymentRefunded.is({ orderId: 'o', userId: 'u', amount: 0, currency: null })).toBe(true);
  });

  it('offer merchants the public events of API.md, and keep commands to themselves', () => {
    expect(
      contracts
        .filter((c) => c.public)
        .map((c) => c.type)
        .sort(),
    ).toEqual(
      [
        'order.created',
        'order.confirmed',
        'order.cancelled',
        'order.shipped',
        'order.delivered',
        'payment.succeeded',
        'payment.declined',
        'payment.refunded',
        'shipment.created',
        'product.created',
        'product.updated',
      ].sort(),
    );
  });
});
