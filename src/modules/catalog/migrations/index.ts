import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as productsAndVariants from './0001_products_and_variants.js';

export const catalogMigrations: MigrationSet = {
  owner: 'catalog',
  migrations: { '0001_products_and_variants': productsAndVariants },
};
