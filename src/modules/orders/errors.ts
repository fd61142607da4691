import { defineErrors } from '../../platform/http/errors.js';

export const ordersErrors = defineErrors({
  order_not_found: { status: 404, title: 'No such order' },
  order_not_cancellable: { status: 409, title: 'The order can no longer be cancelled' },
  cart_empty: { status: 409, title: 'The cart is empty' },
  product_unavailable: { status: 409, title: 'This product is not for sale' },
  currency_mismatch: { status: 409, title: 'The cart holds items in another currency' },
  checkout_busy: { status: 503, title: 'Too many orders are still being completed; try again shortly' },
});
