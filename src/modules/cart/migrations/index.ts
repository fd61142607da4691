import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as carts from './0001_carts.js';

export const cartMigrations: MigrationSet = {
  owner: 'cart',
  migrations: { '0001_carts': carts },
};
