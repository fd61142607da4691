import { Type } from 'typebox';
import { defineMessage } from '../../platform/messaging/contract.js';
import { ProductSchema } from './schemas.js';

/** The events catalog publishes, keyed by product id; each carries the product as it now is. */
const ProductChange = Type.Object({ product: ProductSchema });

export const productCreated = defineMessage('product.created', ProductChange, {
  description: 'A product was created, with its variants and prices.',
  public: true,
});
export const productUpdated = defineMessage('product.updated', ProductChange, {
  description: 'A product changed: title, description, category, attributes, status or variant prices.',
  public: true,
});
export const productArchived = defineMessage('product.archived', ProductChange, {
  description: 'A product was archived: it is no longer sold.',
});

export const productChanges = [productCreated, productUpdated, productArchived] as const;
