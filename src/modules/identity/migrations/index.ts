import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as usersAndSessions from './0001_users_and_sessions.js';
import * as sessionExpiryIndex from './0002_session_expiry_index.js';
import * as sessionDevices from './0003_session_devices.js';

export const identityMigrations: MigrationSet = {
  owner: 'identity',
  migrations: {
    '0001_users_and_sessions': usersAndSessions,
    '0002_session_expiry_index': sessionExpiryIndex,
    '0003_session_devices': sessionDevices,
  },
};
