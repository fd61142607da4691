import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as stockAndReservations from './0001_stock_and_reservations.js';

export const inventoryMigrations: MigrationSet = {
  owner: 'inventory',
  migrations: { '0001_stock_and_reservations': stockAndReservations },
};
