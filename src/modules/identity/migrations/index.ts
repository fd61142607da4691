import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as usersAndSessions from './0001_users_and_sessions.js';

export const identityMigrations: MigrationSet = {
  owner: 'identity',
  migrations: { '0001_users_and_sessions': usersAndSessions },
};
