import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Core } from '../app.js';
import { generateProduct, random } from './catalog-generator.js';
import { productImageSvg } from './product-image.js';

export const DEMO_CUSTOMER = { email: 'demo@orderly.test', password: 'demo-shopper-1', name: 'Demo Shopper' };
const DEMO_ADMIN_EMAIL = 'admin@orderly.test';
const DEMO_PRODUCTS = 200;

export interface DemoShop {
  products: number;
  customer: typeof DEMO_CUSTOMER;
  /** An operator for the console, with a password made for this shop alone; none when a bootstrap admin is set. */
  admin: { email: string; password: string } | null;
}

/**
 * Whether `orderly start` should open a demo shop: never when turned off; on PostgreSQL only when asked,
 * since that database is someone's real one; otherwise only into a database created by this start
 * (its migrations just ran) whose catalog is still empty, so a restart or a real shop is never touched.
 */
export async function demoWanted(core: Core): Promise<boolean> {
  const { demo } = core.config.web;
  if (demo === 'off') return false;
  if (demo === 'auto' && (core.database.dialect !== 'sqlite' || core.migrations.length === 0)) return false;
  const page = await core.modules.catalog.service.list({ status: 'active', limit: 1 });
  return page.items.length === 0;
}

/** About 200 products over every category, with stock (some low, some sold out), pictures, a customer and an admin. */
export async function openDemoShop(core: Core): Promise<DemoShop> {
  const rnd = random(24);
  const batch = Array.from({ length: DEMO_PRODUCTS }, (_, n) => {
    const product = generateProduct(rnd, n, 'DEMO', core.config.currency);
    // A shop has a few lines running out and a few gone, so the pages show "only N left" and "sold out".
    const variants = product.variants.map((variant, i) => ({
      ...variant,
      stock: n % 23 === 5 ? 0 : n % 11 === 3 && i === 0 ? 1 + (n % 4) : Math.max(variant.stock ?? 0, 5),
    }));
    return { ...product, variants };
  });
  const products = await core.modules.catalog.service.importBatch(batch);
  await core.modules.search.service.index(products);
  const images = path.join(core.config.dataDir, 'images', 'products');
  await mkdir(images, { recursive: true });
  await Promise.all(products.map((p) => writeFile(path.join(images, `${p.id}.svg`), productImageSvg(p.title, p.category))));
  await core.modules.identity.service.signup(DEMO_CUSTOMER);
  // A well-known admin password would open any demo shop left on a network; this one is random, printed once.
  const admin = core.config.admin ? null : { email: DEMO_ADMIN_EMAIL, password: randomBytes(12).toString('base64url') };
  if (admin) await core.modules.identity.service.ensureAdmin(admin);
  return { products: products.length, customer: DEMO_CUSTOMER, admin };
}
