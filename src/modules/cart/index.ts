import type { Database } from '../../platform/db/database.js';
import type { AppModule } from '../../platform/module.js';
import { cartErrors } from './errors.js';
import { cartMigrations } from './migrations/index.js';
export { cartMigrations } from './migrations/index.js';
import { cartRoutes } from './routes.js';
import { createCartService, type CartService, type CartPorts } from './service.js';

export type { Cart, CartItem, CartService } from './service.js';

export interface CartModule extends AppModule {
  service: CartService;
}

export function createCartModule(deps: { database: Database; ports: CartPorts; currency: string }): CartModule {
  const service = createCartService(deps.database, deps.ports, { currency: deps.currency });
  return {
    name: 'cart',
    migrations: cartMigrations,
    errors: cartErrors.catalog,
    service,
    routes: (app) => cartRoutes(app, service),
  };
}
