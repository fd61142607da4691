import { defineErrors } from '../../platform/http/errors.js';

export const identityErrors = defineErrors({
  email_taken: { status: 409, title: 'An account with this email already exists' },
  invalid_credentials: { status: 401, title: 'Email or password is wrong' },
});
