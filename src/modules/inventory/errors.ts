import { defineErrors } from '../../platform/http/errors.js';

export const inventoryErrors = defineErrors({
  insufficient_stock: { status: 409, title: 'Not enough stock available' },
});
