import type { MigrationSet } from './platform/db/migrations.js';
import { auditMigrations } from './platform/audit/schema.js';
import { idempotencyMigrations } from './platform/idempotency/schema.js';
import { messagingMigrations } from './platform/messaging/schema.js';
import { cartMigrations } from './modules/cart/index.js';
import { catalogMigrations } from './modules/catalog/index.js';
import { identityMigrations } from './modules/identity/index.js';
import { inventoryMigrations } from './modules/inventory/index.js';
import { notificationsMigrations } from './modules/notifications/index.js';
import { ordersMigrations } from './modules/orders/index.js';
import { paymentsMigrations } from './modules/payments/index.js';
import { recommendationsMigrations } from './modules/recommendations/index.js';
import { searchMigrations } from './modules/search/index.js';
import { shippingMigrations } from './modules/shipping/index.js';
import { webhooksMigrations } from './modules/webhooks/index.js';

/**
 * Every owner's migrations, in the order they are applied. Known without opening a database, so a
 * restore can tell a backup whose schema is newer than this code before it copies a byte.
 */
export const MIGRATION_SETS: MigrationSet[] = [
  messagingMigrations,
  idempotencyMigrations,
  auditMigrations,
  identityMigrations,
  catalogMigrations,
  inventoryMigrations,
  cartMigrations,
  ordersMigrations,
  paymentsMigrations,
  shippingMigrations,
  searchMigrations,
  recommendationsMigrations,
  notificationsMigrations,
  webhooksMigrations,
];

/** Migration names by owner. */
export function knownMigrations(): Map<string, Set<string>> {
  return new Map(MIGRATION_SETS.map((set) => [set.owner, new Set(Object.keys(set.migrations))]));
}
