import { defineErrors } from '../../platform/http/errors.js';

export const shippingErrors = defineErrors({
  invalid_shipment_transition: { status: 409, title: 'The shipment cannot move to that status' },
});
