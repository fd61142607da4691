import { defineErrors } from '../../platform/http/errors.js';

export const catalogErrors = defineErrors({
  sku_taken: { status: 409, title: 'A variant with this SKU already exists' },
  precondition_failed: { status: 412, title: 'The resource changed since you read it' },
});
