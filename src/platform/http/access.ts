import type { RouteOptions } from 'fastify';
import type { HttpApp } from './types.js';
import { accessLevels, type Access } from './auth.js';

/** Routes that are in the API document: the ones that must say who may call them. */
function documented(route: RouteOptions): boolean {
  const schema = route.schema as { hide?: boolean } | undefined;
  return route.url.startsWith('/v1/') || (schema !== undefined && schema.hide !== true);
}

/**
 * Every documented route declares its access, or the process refuses to start: a route that forgot is a
 * hole, not a default. Checked when the app is ready because plugin-wide declarations (`requireAccess`)
 * are applied by onRoute hooks that run after this one.
 */
export function enforceAccessDeclarations(app: HttpApp): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (documented(route)) routes.push(route);
  });
  app.addHook('onReady', async () => {
    const undeclared = routes
      .filter((route) => !accessLevels.includes(route.config?.auth as Access))
      .map((route) => `${[route.method].flat().join(',')} ${route.url}`);
    if (undeclared.length > 0) throw new Error(`routes without a declared access (config.auth): ${undeclared.join('; ')}`);
  });
}

/** `x-access` on each operation of the OpenAPI document, from the route's declaration. */
export function accessExtension(route: RouteOptions): { 'x-access'?: Access } {
  const access = route.config?.auth;
  return access === undefined ? {} : { 'x-access': access };
}
