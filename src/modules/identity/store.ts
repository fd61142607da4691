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
