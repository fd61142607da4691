import { Type } from 'typebox';
import { defineMessage } from '../../platform/messaging/contract.js';
import { UserSchema } from './schemas.js';

/** Keyed by user id. */
export const userCreated = defineMessage('user.created', Type.Object({ user: UserSchema }), {
  description: 'An account was created (a customer signed up, or the admin was bootstrapped).',
});
