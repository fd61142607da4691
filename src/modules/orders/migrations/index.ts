import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as orders from './0001_orders.js';
import * as archived from './0002_archived_orders.js';
import * as timelineByTime from './0003_timeline_by_time.js';
import * as byCreation from './0004_orders_by_creation.js';

export const ordersMigrations: MigrationSet = {
  owner: 'orders',
  migrations: {
    '0001_orders': orders,
    '0002_archived_orders': archived,
    '0003_timeline_by_time': timelineByTime,
    '0004_orders_by_creation': byCreation,
  },
};
