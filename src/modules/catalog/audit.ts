import type { AuditActor, AuditEntry } from '../../platform/audit/audit-log.js';
import type { Product } from './products.js';

const PRODUCT_FIELDS = ['title', 'description', 'category', 'attributes', 'status'] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * What an admin's change to a product puts in the audit log: one `product.updated` with the product
 * fields (and variant titles and attributes) that changed, and one `variant.price_changed` per variant
 * whose price changed. A patch that changes nothing records nothing.
 */
export function productChangeAudit(actor: AuditActor, current: Product, updated: Product): AuditEntry[] {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const field of PRODUCT_FIELDS) {
    if (!same(current[field], updated[field])) {
      before[field] = current[field];
      after[field] = updated[field];
    }
  }
  const entries: AuditEntry[] = [];
  const variantsBefore: unknown[] = [];
  const variantsAfter: unknown[] = [];
  for (const variant of updated.variants) {
    const old = current.variants.find((v) => v.id === variant.id);
    if (!old) continue;
    if (old.title !== variant.title || !same(old.attributes, variant.attributes)) {
      variantsBefore.push({ id: old.id, title: old.title, attributes: old.attributes });
      variantsAfter.push({ id: variant.id, title: variant.title, attributes: variant.attributes });
    }
    if (!same(old.price, variant.price)) {
      entries.push({
        actor,
        action: 'variant.price_changed',
        subject: variant.id,
        before: { productId: current.id, sku: old.sku, price: old.price },
        after: { productId: current.id, sku: variant.sku, price: variant.price },
      });
    }
  }
  if (variantsBefore.length > 0) {
    before.variants = variantsBefore;
    after.variants = variantsAfter;
  }
  if (Object.keys(after).length > 0) entries.unshift({ actor, action: 'product.updated', subject: current.id, before, after });
  return entries;
}
