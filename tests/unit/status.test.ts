import { describe, expect, it } from 'vitest';
import { InvalidOrderTransition, assertTransition, canBeCancelled, isFinal, type OrderStatus } from '../../src/modules/orders/status.js';

const ALL: OrderStatus[] = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'];
const ALLOWED = new Set(['pending>confirmed', 'pending>cancelled', 'confirmed>shipped', 'confirmed>cancelled', 'shipped>delivered']);

describe('order status transitions', () => {
  it('allows exactly the moves of the one table, and throws on every other', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        if (ALLOWED.has(`${from}>${to}`)) expect(() => assertTransition(from, to)).not.toThrow();
        else expect(() => assertTransition(from, to)).toThrow(InvalidOrderTransition);
      }
    }
  });

  it('lets an order be cancelled only before it ships, and calls delivered and cancelled final', () => {
    expect(ALL.filter(canBeCancelled)).toEqual(['pending', 'confirmed']);
    expect(ALL.filter(isFinal)).toEqual(['delivered', 'cancelled']);
  });
});
