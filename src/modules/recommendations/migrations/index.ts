import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as pairs from './0001_pairs.js';

export const recommendationsMigrations: MigrationSet = {
  owner: 'recommendations',
  migrations: { '0001_pairs': pairs },
};
