import type { Money } from './types.js';

const formatters = new Map<string, Intl.NumberFormat>();

export function money(value: Money): string {
  let formatter = formatters.get(value.currency);
  if (!formatter)
    formatters.set(value.currency, (formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency: value.currency })));
  return formatter.format(value.amount / 100);
}

export const dateTime = (iso: string) => new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });

export const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Attribute names as people read them: `water_resistance` → "Water resistance". */
export const label = (name: string) => capitalise(name.replace(/_/g, ' '));

/** The lowest price of a product's variants, which is what a list shows. */
export const fromPrice = (variants: { price: Money }[]) =>
  variants.reduce((low, v) => (v.price.amount < low.amount ? v.price : low), variants[0]?.price ?? { amount: 0, currency: 'USD' });

/** Stock in a shopper's words. */
export function stockText(available: number | undefined): string {
  if (available === undefined) return '';
  if (available <= 0) return 'Sold out';
  if (available <= 5) return `Only ${available} left`;
  return 'In stock';
}
