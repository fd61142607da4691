import type { OrderArchivePart } from '../../platform/archive/part.js';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { shippingArchivePart } from './archive.js';
import { shippingErrors } from './errors.js';
import { shippingMigrations } from './migrations/index.js';
export { shippingMigrations } from './migrations/index.js';
import { shippingRoutes } from './routes.js';
import { shippingSubscription } from './handlers.js';
import { createShippingService, type ShippingService } from './service.js';

export type { ShippingService, Shipment } from './service.js';
export * from './messages.js';

export interface ShippingModule extends AppModule {
  service: ShippingService;
  /** An order's shipment and tracking, when the order goes to cold storage. */
  archivePart: OrderArchivePart;
}

export function createShippingModule(deps: { database: Database; bus: MessageBus }): ShippingModule {
  const service = createShippingService(deps.database, deps.bus);
  deps.bus.subscribe(shippingSubscription());
  return {
    name: 'shipping',
    migrations: shippingMigrations,
    errors: shippingErrors.catalog,
    service,
    archivePart: shippingArchivePart(deps.database),
    routes: (app) => shippingRoutes(app, service),
  };
}
