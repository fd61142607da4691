import { defineErrors } from '../../platform/http/errors.js';

export const cartErrors = defineErrors({
  product_unavailable: { status: 409, title: 'This product is not for sale' },
  currency_mismatch: { status: 409, title: 'The cart holds items in another currency' },
  cart_quantity_limit: { status: 409, title: 'A cart line holds at most 100 units' },
  cart_version_mismatch: { status: 412, title: 'The cart changed since you read it' },
});
