import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as payments from './0001_payments.js';

export const paymentsMigrations: MigrationSet = {
  owner: 'payments',
  migrations: { '0001_payments': payments },
};
