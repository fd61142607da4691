import { defineErrors } from '../../platform/http/errors.js';

export const webhookErrors = defineErrors({
  webhook_url_forbidden: { status: 400, title: 'Webhooks cannot be sent to that URL' },
  webhook_endpoint_disabled: { status: 409, title: 'The endpoint is disabled' },
});
