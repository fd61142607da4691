import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as shipments from './0001_shipments.js';

export const shippingMigrations: MigrationSet = {
  owner: 'shipping',
  migrations: { '0001_shipments': shipments },
};
