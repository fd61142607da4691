import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as webhooks from './0001_webhooks.js';

export const webhooksMigrations: MigrationSet = {
  owner: 'webhooks',
  migrations: { '0001_webhooks': webhooks },
};
