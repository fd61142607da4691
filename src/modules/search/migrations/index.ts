import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as documents from './0001_search_documents.js';

export const searchMigrations: MigrationSet = {
  owner: 'search',
  migrations: { '0001_search_documents': documents },
};
