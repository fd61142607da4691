import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as notifications from './0001_notifications.js';

export const notificationsMigrations: MigrationSet = {
  owner: 'notifications',
  migrations: { '0001_notifications': notifications },
};
