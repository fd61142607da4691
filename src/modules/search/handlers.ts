import type { Subscription } from '../../platform/messaging/bus.js';
import { productChanges } from '../catalog/messages.js';
import type { SearchService } from './service.js';

/**
 * Keeps the read model in step with the catalog. Idempotent without an inbox: an older version never
 * overwrites a newer one, and per-key ordering applies a product's events in order.
 */
export function searchSubscription(service: SearchService): Subscription<(typeof productChanges)[number]> {
  return {
    group: 'search',
    messages: productChanges,
    handle: (message) => service.apply(message.data.product),
  };
}
