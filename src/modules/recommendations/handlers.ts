import type { Subscription } from '../../platform/messaging/bus.js';
import { orderConfirmed } from '../orders/messages.js';
import type { RecommendationPorts } from './service.js';
import { createRecommendationsStore } from './store.js';

/** Counts the products of each confirmed order as bought together, once per order (the inbox). */
export function recommendationSubscription(ports: Pick<RecommendationPorts, 'productsOfVariants'>): Subscription<typeof orderConfirmed> {
  return {
    group: 'recommendations',
    messages: [orderConfirmed],
    async handle(message, context) {
      const products = await ports.productsOfVariants(message.data.items.map((i) => i.variantId));
      const productIds = [...products.values()];
      if (new Set(productIds).size < 2) return;
      await context.apply((tx) => createRecommendationsStore(tx).countTogether(productIds));
    },
  };
}
