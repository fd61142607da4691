import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as orders from './0001_orders.js';
import * as archived from './0002_archived_orders.js';

export const ordersMigrations: MigrationSet = {
  owner: 'orders',
  migrations: { '0001_orders': orders, '0002_archived_orders': archived },
};
