import { recordAudit, SYSTEM_ACTOR } from '../../platform/audit/audit-log.js';
import type { Cache } from '../../platform/cache/cache.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';
import type { Authenticate, Role } from '../../platform/http/auth.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import { identityErrors } from './errors.js';
import { userCreated } from './messages.js';
import { decoyHash, hashPassword, verifyPassword } from './password.js';
import { emailKey, createIdentityStore, type SessionPrincipal, type UserRow } from './store.js';
import { hashToken, newToken } from './tokens.js';

/** The public shape of an account. */
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface SignedIn {
  user: User;
  token: string;
}

/** Accounts and sessions: who may call, and as what. */
export interface IdentityService {
  /** Creates a customer and signs it in; email_taken when the email (case-insensitively) exists. */
  signup(input: { email: string; password: string; name: string }): Promise<SignedIn>;
  /** invalid_credentials for an unknown email or a wrong password, indistinguishably. */
  login(input: { email: string; password: string }): Promise<SignedIn>;
  /** The token stops working at once. */
  logout(sessionId: string): Promise<void>;
  getUser(id: string): Promise<User | null>;
  authenticate: Authenticate;
  /**
   * Creates the admin, or makes the existing account an admin with this password. Making an admin (by
   * creating or by promoting) is recorded in the audit log as the `system`'s `user.role_changed`.
   */
  ensureAdmin(input: { email: string; password: string }): Promise<User>;
}

export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.created_at };
}

/**
 * Sessions are read on every authenticated request, so they go through a cache keyed by token hash;
 * logout invalidates it everywhere, and a cached session is still checked against its expiry.
 */
export function createIdentityService(
  database: Database,
  bus: MessageBus,
  options: { sessionTtlMs: number; sessions: Cache<SessionPrincipal> },
): IdentityService {
  const store = createIdentityStore(database.db);

  async function startSession(executor: Executor, user: UserRow): Promise<SignedIn> {
    const token = newToken();
    const now = new Date();
    await createIdentityStore(executor).insertSession({
      id: newId('ses'),
      user_id: user.id,
      token_hash: hashToken(token),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + options.sessionTtlMs).toISOString(),
      revoked_at: null,
    });
    return { user: toUser(user), token };
  }

  /** A session for `user`, with the request's answer, in one transaction. */
  function signIn(user: UserRow): Promise<SignedIn> {
    return database.transaction(async (tx) => {
      const signedIn = await startSession(tx, user);
      await answerWithin(tx, signedIn);
      return signedIn;
    });
  }

  /** Creates the account (and runs `within` in the same transaction); null when the email is taken. */
  async function createUser<T>(
    input: { email: string; password: string; name: string; role: Role },
    within: (tx: Executor, row: UserRow) => Promise<T>,
  ): Promise<T | null> {
    const now = nowIso();
    const row: UserRow = {
      id: newId('usr'),
      email: input.email.trim(),
      email_key: emailKey(input.email),
      name: input.name.trim(),
      role: input.role,
      password_hash: await hashPassword(input.password),
      created_at: now,
      updated_at: now,
    };
    return bus.transaction(async (tx, publish) => {
      if (!(await createIdentityStore(tx).insertUser(row))) return null;
      await publish([userCreated.event(row.id, { user: toUser(row) })]);
      return within(tx, row);
    });
  }

  function recordRoleChange(tx: Executor, user: UserRow, from: Role | null): Promise<void> {
    return recordAudit(tx, {
      actor: SYSTEM_ACTOR,
      action: 'user.role_changed',
      subject: user.id,
      before: { role: from },
      after: { role: 'admin', email: user.email },
    });
  }

  return {
    async signup(input) {
      // The account, its first session and the answer commit together: a retry finds the account signed in.
      const signedIn = await createUser({ ...input, role: 'customer' }, async (tx, row) => {
        const session = await startSession(tx, row);
        await answerWithin(tx, session);
        return session;
      });
      if (signedIn === null) throw identityErrors.error('email_taken', `${input.email.trim()} already has an account`);
      return signedIn;
    },

    async login(input) {
      const row = await store.findUserByEmail(input.email);
      const valid = await verifyPassword(input.password, row?.password_hash ?? (await decoyHash));
      if (!row || !valid) throw identityErrors.error('invalid_credentials');
      return signIn(row);
    },

    async logout(sessionId) {
      const tokenHash = await database.transaction(async (tx) => {
        const revoked = await createIdentityStore(tx).revokeSession(sessionId, nowIso());
        await answerWithin(tx, null);
        return revoked;
      });
      if (tokenHash !== undefined) await options.sessions.invalidate(tokenHash);
    },

    async getUser(id) {
      const row = await store.findUserById(id);
      return row ? toUser(row) : null;
    },

    async authenticate(token) {
      if (!token.startsWith('ot_') || token.length > 100) return null;
      const tokenHash = hashToken(token);
      const session = await options.sessions.get(tokenHash, async () => (await store.findActiveSession(tokenHash, nowIso())) ?? null);
      if (session === null || session.expiresAt <= nowIso()) return null;
      return { sessionId: session.sessionId, userId: session.userId, role: session.role };
    },

    async ensureAdmin(input) {
      const existing = await store.findUserByEmail(input.email);
      if (existing) {
        const updated_at = nowIso();
        const password_hash = await hashPassword(input.password);
        await database.transaction(async (tx) => {
          await createIdentityStore(tx).updateUser(existing.id, { role: 'admin', password_hash, updated_at });
          if (existing.role !== 'admin') await recordRoleChange(tx, existing, existing.role);
        });
        return toUser({ ...existing, role: 'admin' });
      }
      const created = await createUser({ ...input, name: 'Administrator', role: 'admin' }, async (tx, row) => {
        await recordRoleChange(tx, row, null);
        return toUser(row);
      });
      if (created) return created;
      // Another process created it between our read and our insert: take that one.
      return this.ensureAdmin(input);
    },
  };
}
