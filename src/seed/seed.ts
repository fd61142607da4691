import { randomBytes } from 'node:crypto';
import type { Core } from '../app.js';
import { createProgress } from '../platform/cli/progress.js';
import { generateProduct, random } from './catalog-generator.js';

/**
 * `orderly seed --products N`: a realistic catalog in bulk. Each batch is one catalog transaction
 * (products, variants, initial stock) and is then indexed for search directly, since a bulk import
 * publishes no per-product events. Interrupted, it leaves whole batches; `orderly search reindex` mends the index.
 */
export async function seedCatalog(
  core: Core,
  count: number,
  options: { seed?: number; batchSize?: number; quiet?: boolean } = {},
): Promise<number> {
  const rnd = random(options.seed ?? Date.now());
  // Fresh SKUs per run, so seeding twice adds to the catalog instead of colliding.
  const skuPrefix = `SEED${randomBytes(3).toString('hex').toUpperCase()}`;
  const batchSize = options.batchSize ?? 1000;
  const progress = options.quiet ? null : createProgress('seeding products', count);
  let created = 0;
  while (created < count) {
    const size = Math.min(batchSize, count - created);
    const batch = Array.from({ length: size }, (_, i) => generateProduct(rnd, created + i, skuPrefix, core.config.currency));
    const products = await core.modules.catalog.service.importBatch(batch);
    await core.modules.search.service.index(products);
    created += size;
    progress?.update(created);
  }
  progress?.finish();
  return created;
}
