import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import type { Role } from '../../platform/http/auth.js';

export interface IdentityTables {
  identity_users: {
    id: string;
    email: string;
    email_key: string;
    name: string;
    role: Role;
    password_hash: string;
    created_at: string;
    updated_at: string;
  };
  identity_sessions: {
    id: string;
    user_id: string;
    token_hash: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
    user_agent: string | null;
    address: string | null;
    /** Null for sessions opened before it was recorded: their creation time stands in. */
    last_used_at: string | null;
  };
}

export type UserRow = Selectable<IdentityTables['identity_users']>;
export type NewSession = IdentityTables['identity_sessions'];

export interface SessionPrincipal {
  sessionId: string;
  userId: string;
  role: Role;
  expiresAt: string;
}

/** A session as its user sees it in their list. */
export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  address: string | null;
}

/** Normalised form under which emails are unique: case-insensitive, surrounding space ignored. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

export function createIdentityStore(executor: Executor) {
  const db: Kysely<IdentityTables> = asSchema<IdentityTables>(executor);
  return {
    findUserByEmail: (email: string) =>
      db.selectFrom('identity_users').selectAll().where('email_key', '=', emailKey(email)).executeTakeFirst(),

    findUserById: (id: string) => db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst(),

    findUsersByIds: (ids: string[]) =>
      ids.length === 0 ? Promise.resolve([]) : db.selectFrom('identity_users').selectAll().where('id', 'in', ids).execute(),

    /** Inserts unless the email is taken; returns false when it was. */
    insertUser: async (user: UserRow): Promise<boolean> => {
      const result = await db
        .insertInto('identity_users')
        .values(user)
        .onConflict((oc) => oc.column('email_key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    updateUser: (id: string, changes: Partial<Pick<UserRow, 'role' | 'password_hash' | 'name' | 'updated_at'>>) =>
      db.updateTable('identity_users').set(changes).where('id', '=', id).execute(),

    /**
     * Replaces a password hash only if it is still `previous` (true when it was): a password changed meanwhile
     * is not overwritten. `updatedAt` null leaves the account's updated_at alone (a rehash of the same password).
     * The row stays locked until the transaction ends, so a password change waits for it.
     */
    replacePasswordHash: (id: string, previous: string, next: string, updatedAt: string | null) =>
      db
        .updateTable('identity_users')
        .set(updatedAt === null ? { password_hash: next } : { password_hash: next, updated_at: updatedAt })
        .where('id', '=', id)
        .where('password_hash', '=', previous)
        .executeTakeFirst()
        .then((result) => Number(result.numUpdatedRows) === 1),

    insertSession: (session: NewSession) => db.insertInto('identity_sessions').values(session).execute(),

    findActiveSession: (tokenHash: string, now: string): Promise<SessionPrincipal | undefined> =>
      db
        .selectFrom('identity_sessions as s')
        .innerJoin('identity_users as u', 'u.id', 's.user_id')
        .select(['s.id as sessionId', 's.user_id as userId', 'u.role as role', 's.expires_at as expiresAt'])
        .where('s.token_hash', '=', tokenHash)
        .where('s.revoked_at', 'is', null)
        .where('s.expires_at', '>', now)
        .executeTakeFirst(),

    /** The user's sessions still valid at `now`, newest first. */
    listActiveSessions: (userId: string, now: string, limit: number): Promise<SessionView[]> =>
      db
        .selectFrom('identity_sessions')
        .select(['id', 'created_at', 'last_used_at', 'user_agent', 'address'])
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
        .then((rows) =>
          rows.map((r) => ({
            id: r.id,
            createdAt: r.created_at,
            lastUsedAt: r.last_used_at ?? r.created_at,
            userAgent: r.user_agent,
            address: r.address,
          })),
        ),

    /** Records a use, unless one at or after `since` is recorded already (so concurrent processes write once). */
    touchSession: (sessionId: string, now: string, since: string) =>
      db
        .updateTable('identity_sessions')
        .set({ last_used_at: now })
        .where('id', '=', sessionId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', since)]))
        .execute(),

    /** Revokes one of the user's own sessions; its token hash, or undefined when it is not theirs or not active. */
    revokeUserSession: (userId: string, sessionId: string, now: string) =>
      db
        .updateTable('identity_sessions')
        .set({ revoked_at: now })
        .where('id', '=', sessionId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('token_hash')
        .executeTakeFirst()
        .then((row) => row?.token_hash),

    /** Revokes every valid session of the user but `keep`; the token hashes of those it revoked. */
    revokeOtherSessions: (userId: string, keep: string, now: string) =>
      db
        .updateTable('identity_sessions')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('id', '!=', keep)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('token_hash')
        .execute()
        .then((rows) => rows.map((r) => r.token_hash)),

    /** Resolves to the revoked session's token hash, or undefined when it was revoked already. */
    revokeSession: (sessionId: string, now: string) =>
      db
        .updateTable('identity_sessions')
        .set({ revoked_at: now })
        .where('id', '=', sessionId)
        .where('revoked_at', 'is', null)
        .returning('token_hash')
        .executeTakeFirst()
        .then((row) => row?.token_hash),
  };
}
