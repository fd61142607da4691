import type { Cache } from '../../platform/cache/cache.js';
import type { Subscription } from '../../platform/messaging/bus.js';
import { productChanges } from './messages.js';

/**
 * The writer forgets a changed product at once (read-your-writes on its node); the event forgets it again
 * on whichever node consumes it, so a writer that died between commit and invalidation leaves nothing stale.
 */
export function readCacheSubscription(productReads: Pick<Cache<unknown>, 'invalidate'>): Subscription<(typeof productChanges)[number]> {
  return {
    group: 'catalog.read-cache',
    messages: productChanges,
    handle: (message) => productReads.invalidate(message.key),
  };
}
