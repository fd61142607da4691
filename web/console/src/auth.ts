import { api, saveSession, type Session, session, shopToken } from './api.js';
import { createStore } from '../../shared/store.js';
import type { User } from './types.js';

/** Whether the console knows who is at the keyboard: no admin call is made before this says `admin`. */
export type Access = 'checking' | 'admin' | 'signed-out';
export const access = createStore<Access>('checking');

const NOT_ADMIN = (email: string) => `${email} is not an admin account. The console is for operators: sign in with an admin account.`;

/**
 * Finds out who the token belongs to before any page loads: the console's own session, else the shop's
 * session in this browser. Only an admin gets in; anyone else is sent to the sign-in page with the reason.
 */
export async function checkAccess(): Promise<void> {
  const token = session.get()?.token ?? shopToken();
  if (!token) {
    saveSession(null, 'Sign in with an admin account to use the console.');
    access.set('signed-out');
    return;
  }
  try {
    const me = await api<User>('GET', '/v1/me', { token });
    if (me.role !== 'admin') {
      saveSession(null, NOT_ADMIN(me.email));
      access.set('signed-out');
      return;
    }
    saveSession({ token, user: me });
    access.set('admin');
  } catch {
    saveSession(null, 'Your session ended. Sign in again to go on.');
    access.set('signed-out');
  }
}

/** Signs in; a customer's fresh session is ended at once, since the console has no use for it. */
export async function signIn(email: string, password: string): Promise<void> {
  const result = await api<Session>('POST', '/v1/auth/login', { body: { email, password } });
  if (result.user.role !== 'admin') {
    await api('POST', '/v1/auth/logout', { token: result.token }).catch(() => undefined);
    throw new Error(NOT_ADMIN(result.user.email));
  }
  saveSession(result);
  access.set('admin');
}

export async function signOut(): Promise<void> {
  await api('POST', '/v1/auth/logout').catch(() => undefined);
  saveSession(null, 'You signed out.');
  access.set('signed-out');
}

// A 401 mid-session (the token expired or was revoked) ends access the same way.
session.subscribe((value) => {
  if (value === null && access.get() === 'admin') access.set('signed-out');
});
