import { recordAudit, SYSTEM_ACTOR } from '../../platform/audit/audit-log.js';
import type { Cache } from '../../platform/cache/cache.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';
import type { Authenticate, Principal, Role } from '../../platform/http/auth.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { Logger } from '../../platform/observability/logger.js';
import { identityErrors } from './errors.js';
import { userCreated } from './messages.js';
import { passwordHashing, verifyPassword } from './password.js';
import { isCommonPassword } from './password-policy.js';
import { createSessionUse, type SessionUse } from './session-use.js';
import { emailKey, createIdentityStore, type SessionPrincipal, type SessionView, type UserRow } from './store.js';
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

/** Where a sign-in came from, recorded on its session for the user to see. */
export interface Client {
  userAgent: string | null;
  address: string | null;
}

export interface SessionItem extends SessionView {
  /** The session the list was asked for with. */
  current: boolean;
}

/** Accounts and sessions: who may call, and as what. */
export interface IdentityService {
  /**
   * Creates a customer and signs it in; email_taken when the email (case-insensitively) exists,
   * password_too_common (creating nothing) when the password is among the most common ones.
   */
  signup(input: { email: string; password: string; name: string }, client?: Client): Promise<SignedIn>;
  /**
   * invalid_credentials for an unknown email or a wrong password, indistinguishably (an unknown email costs a
   * hash too). A hash made under older parameters is replaced by one under today's in the login's transaction.
   */
  login(input: { email: string; password: string }, client?: Client): Promise<SignedIn>;
  /** The token stops working at once. */
  logout(sessionId: string): Promise<void>;
  /** The user's sessions still valid (at most 100, newest first), the calling one marked current. */
  listSessions(principal: Principal): Promise<SessionItem[]>;
  /** Ends one of the user's own sessions, its token refused at once on every node; false when they have no such session. */
  endSession(principal: Principal, sessionId: string): Promise<boolean>;
  /**
   * Replaces the password and ends every other session of the user (the calling one stays);
   * current_password_wrong when `currentPassword` is not it, password_too_common as at signup.
   */
  changePassword(principal: Principal, input: { currentPassword: string; newPassword: string }, client?: Client): Promise<void>;
  getUser(id: string): Promise<User | null>;
  /** The account with this email (case-insensitive), for an admin's search by customer. */
  findUserByEmail(email: string): Promise<User | null>;
  /** The accounts among `ids` that exist, in no particular order. */
  usersByIds(ids: string[]): Promise<User[]>;
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

const NO_CLIENT: Client = { userAgent: null, address: null };
const SESSIONS_LISTED = 100;

function refuseCommon(password: string, field: string): void {
  if (isCommonPassword(password))
    throw identityErrors.error('password_too_common', 'This password is among the most common ones; choose another', {
      errors: [{ field, message: 'is among the most common passwords' }],
    });
}

/**
 * Sessions are read on every authenticated request, so they go through a cache keyed by token hash;
 * logout invalidates it everywhere, and a cached session is still checked against its expiry.
 */
export function createIdentityService(
  database: Database,
  bus: MessageBus,
  options: { sessionTtlMs: number; sessions: Cache<SessionPrincipal>; logger: Logger; passwordCost?: number },
): IdentityService {
  const store = createIdentityStore(database.db);
  const { hash: hashPassword, needsRehash, decoy: decoyHash } = passwordHashing(options.passwordCost);
  const { logger } = options;
  const sessionUse: SessionUse = createSessionUse(database, logger);

  async function startSession(executor: Executor, user: UserRow, client: Client): Promise<SignedIn> {
    const token = newToken();
    const now = new Date();
    await createIdentityStore(executor).insertSession({
      id: newId('ses'),
      user_id: user.id,
      token_hash: hashToken(token),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + options.sessionTtlMs).toISOString(),
      revoked_at: null,
      user_agent: client.userAgent,
      address: client.address,
      last_used_at: now.toISOString(),
    });
    return { user: toUser(user), token };
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

  const RACED = Symbol('raced');

  async function tryLogin(input: { email: string; password: string }, client: Client): Promise<SignedIn | typeof RACED> {
    const row = await store.findUserByEmail(input.email);
    const valid = await verifyPassword(input.password, row?.password_hash ?? (await decoyHash()));
    if (!row || !valid) {
      // A hash under older, cheaper parameters is topped up to today's cost, so time does not tell it apart.
      if (row && needsRehash(row.password_hash)) await verifyPassword(input.password, await decoyHash());
      // Who was tried and from where, for the operator; never the password, and the answer is the same either way.
      logger.warn({ userId: row?.id, address: client.address }, 'login failed');
      throw identityErrors.error('invalid_credentials');
    }
    // Hashed before the transaction, so no lock is held for the time it takes.
    const upgraded = needsRehash(row.password_hash) ? await hashPassword(input.password) : null;
    return database.transaction(async (tx) => {
      // The hash checked must still be the account's (rewritten, the same or upgraded, to hold its row): a
      // password change racing this login either sees its session and ends it, or makes it fail here.
      if (!(await createIdentityStore(tx).replacePasswordHash(row.id, row.password_hash, upgraded ?? row.password_hash, null)))
        return RACED;
      const signedIn = await startSession(tx, row, client);
      await answerWithin(tx, signedIn);
      return signedIn;
    });
  }

  /** Ends sessions on every node: their cached principals are dropped with the rows revoked. */
  const forgetSessions = (tokenHashes: string[]) => Promise.all(tokenHashes.map((hash) => options.sessions.invalidate(hash)));

  return {
    async signup(input, client = NO_CLIENT) {
      refuseCommon(input.password, '/password');
      // The account, its first session and the answer commit together: a retry finds the account signed in.
      const signedIn = await createUser({ ...input, role: 'customer' }, async (tx, row) => {
        const session = await startSession(tx, row, client);
        await answerWithin(tx, session);
        return session;
      });
      if (signedIn === null) throw identityErrors.error('email_taken', `${input.email.trim()} already has an account`);
      return signedIn;
    },

    async login(input, client = NO_CLIENT) {
      // Once more if the account's hash changed under us (a concurrent login upgraded it): checked afresh.
      const first = await tryLogin(input, client);
      if (first !== RACED) return first;
      const second = await tryLogin(input, client);
      if (second === RACED) throw identityErrors.error('invalid_credentials');
      return second;
    },

    async logout(sessionId) {
      const tokenHash = await database.transaction(async (tx) => {
        const revoked = await createIdentityStore(tx).revokeSession(sessionId, nowIso());
        await answerWithin(tx, null);
        return revoked;
      });
      if (tokenHash !== undefined) await options.sessions.invalidate(tokenHash);
    },

    async listSessions(principal) {
      const sessions = await store.listActiveSessions(principal.userId, nowIso(), SESSIONS_LISTED);
      return sessions.map((s) => ({ ...s, current: s.id === principal.sessionId }));
    },

    async endSession(principal, sessionId) {
      const tokenHash = await store.revokeUserSession(principal.userId, sessionId, nowIso());
      if (tokenHash === undefined) return false;
      await forgetSessions([tokenHash]);
      return true;
    },

    async changePassword(principal, input, client = NO_CLIENT) {
      const row = await store.findUserById(principal.userId);
      if (!row) throw identityErrors.error('current_password_wrong');
      if (!(await verifyPassword(input.currentPassword, row.password_hash))) {
        logger.warn({ userId: row.id, address: client.address }, 'password change refused: wrong current password');
        throw identityErrors.error('current_password_wrong');
      }
      refuseCommon(input.newPassword, '/newPassword');
      const next = await hashPassword(input.newPassword);
      const ended = await database.transaction(async (tx) => {
        const txStore = createIdentityStore(tx);
        const now = nowIso();
        // Changed meanwhile by another request: the password this one proved is no longer the current one.
        if (!(await txStore.replacePasswordHash(row.id, row.password_hash, next, now)))
          throw identityErrors.error('current_password_wrong');
        const revoked = await txStore.revokeOtherSessions(row.id, principal.sessionId, now);
        await answerWithin(tx, null);
        return revoked;
      });
      await forgetSessions(ended);
      logger.info({ userId: row.id, address: client.address, sessionsEnded: ended.length }, 'password changed');
    },

    async getUser(id) {
      const row = await store.findUserById(id);
      return row ? toUser(row) : null;
    },

    async findUserByEmail(email) {
      const row = await store.findUserByEmail(email);
      return row ? toUser(row) : null;
    },

    usersByIds: async (ids) => (await store.findUsersByIds([...new Set(ids)])).map(toUser),

    async authenticate(token) {
      if (!token.startsWith('ot_') || token.length > 100) return null;
      const tokenHash = hashToken(token);
      const session = await options.sessions.get(tokenHash, async () => (await store.findActiveSession(tokenHash, nowIso())) ?? null);
      if (session === null || session.expiresAt <= nowIso()) return null;
      await sessionUse.used(session.sessionId);
      return { sessionId: session.sessionId, userId: session.userId, role: session.role };
    },

    async ensureAdmin(input) {
      // Refusing to start would lock the operator out of an existing shop; saying so is enough.
      if (isCommonPassword(input.password)) logger.warn('ORDERLY_ADMIN_PASSWORD is among the most common passwords: change it');
      const existing = await store.findUserByEmail(input.email);
      if (existing) {
        const current = existing.role === 'admin' && (await verifyPassword(input.password, existing.password_hash));
        if (current && !needsRehash(existing.password_hash)) return toUser(existing);
        // The environment's password wins over one changed through the API: like any password change, it
        // ends the admin's sessions (every node forgets them).
        const updated_at = nowIso();
        const password_hash = await hashPassword(input.password);
        const ended = await database.transaction(async (tx) => {
          const identity = createIdentityStore(tx);
          await identity.updateUser(existing.id, { role: 'admin', password_hash, updated_at });
          if (existing.role !== 'admin') await recordRoleChange(tx, existing, existing.role);
          return current ? [] : identity.revokeOtherSessions(existing.id, '', updated_at);
        });
        await forgetSessions(ended);
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
