import { defineErrors } from '../../platform/http/errors.js';

export const identityErrors = defineErrors({
  email_taken: { status: 409, title: 'An account with this email already exists' },
  invalid_credentials: { status: 401, title: 'Email or password is wrong' },
  // 403, not 401: the token is fine, and a client that reads 401 as "signed out" must not drop it.
  current_password_wrong: { status: 403, title: 'The current password is wrong' },
  password_too_common: { status: 400, title: 'The password is too common' },
});
