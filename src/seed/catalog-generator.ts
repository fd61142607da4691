import type { NewProduct } from '../modules/catalog/index.js';

/** mulberry32: a small, fast, seedable PRNG, so the same seed gives the same catalog. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CategorySpec {
  name: string;
  nouns: string[];
  /** Typical price in cents; prices spread log-normally around it. */
  price: number;
  /** Attributes that vary per variant (the first one) and per product. */
  variantAttribute: { name: string; values: string[] };
  productAttributes: Record<string, string[]>;
}

const COLORS = ['black', 'white', 'navy', 'red', 'green', 'grey', 'beige', 'blue', 'olive', 'burgundy'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
const BRANDS = [
  'Northwind',
  'Acme',
  'Fjord',
  'Lumen',
  'Oakridge',
  'Kestrel',
  'Tidewater',
  'Solstice',
  'Harbor',
  'Ember',
  'Granite',
  'Willow',
  'Vega',
  'Atlas',
  'Meridian',
];
const ADJECTIVES = [
  'classic',
  'slim',
  'rugged',
  'lightweight',
  'premium',
  'compact',
  'vintage',
  'modern',
  'organic',
  'waterproof',
  'cozy',
  'ergonomic',
  'handmade',
  'essential',
  'deluxe',
  'travel',
  'everyday',
  'heavy-duty',
  'minimal',
  'sporty',
];
const MATERIALS = ['cotton', 'linen', 'wool', 'leather', 'bamboo', 'steel', 'ceramic', 'oak', 'aluminium', 'recycled'];

const CATEGORIES: CategorySpec[] = [
  {
    name: 'shirts',
    nouns: ['shirt', 'tee', 'polo', 'oxford', 'henley'],
    price: 3500,
    variantAttribute: { name: 'size', values: SIZES },
    productAttributes: { color: COLORS, fit: ['regular', 'slim', 'relaxed'] },
  },
  {
    name: 'shoes',
    nouns: ['sneakers', 'boots', 'loafers', 'sandals', 'runners'],
    price: 8900,
    variantAttribute: { name: 'size', values: ['38', '39', '40', '41', '42', '43', '44', '45'] },
    productAttributes: { color: COLORS, sole: ['rubber', 'leather', 'foam'] },
  },
  {
    name: 'kitchen',
    nouns: ['espresso cup', 'chef knife', 'skillet', 'kettle', 'mixing bowl'],
    price: 2900,
    variantAttribute: { name: 'color', values: COLORS },
    productAttributes: { dishwasher_safe: ['true', 'false'] },
  },
  {
    name: 'electronics',
    nouns: ['headphones', 'speaker', 'charger', 'keyboard', 'mouse'],
    price: 7900,
    variantAttribute: { name: 'color', values: ['black', 'white', 'silver'] },
    productAttributes: { wireless: ['true', 'false'], warranty: ['1 year', '2 years'] },
  },
  {
    name: 'home',
    nouns: ['throw blanket', 'cushion', 'candle', 'vase', 'rug'],
    price: 3900,
    variantAttribute: { name: 'color', values: COLORS },
    productAttributes: { room: ['living room', 'bedroom', 'study'] },
  },
  {
    name: 'outdoor',
    nouns: ['tent', 'backpack', 'sleeping bag', 'lantern', 'water bottle'],
    price: 6900,
    variantAttribute: { name: 'color', values: ['green', 'orange', 'grey', 'blue'] },
    productAttributes: { season: ['summer', '3-season', 'winter'] },
  },
  {
    name: 'toys',
    nouns: ['puzzle', 'building set', 'plush bear', 'kite', 'board game'],
    price: 2400,
    variantAttribute: { name: 'age', values: ['3+', '6+', '9+', '12+'] },
    productAttributes: { players: ['1', '2-4', '2-6'] },
  },
  {
    name: 'books',
    nouns: ['notebook', 'cookbook', 'novel', 'atlas', 'journal'],
    price: 1900,
    variantAttribute: { name: 'format', values: ['hardcover', 'paperback'] },
    productAttributes: { language: ['english', 'french', 'german', 'spanish'] },
  },
  {
    name: 'beauty',
    nouns: ['face cream', 'shampoo', 'soap bar', 'lip balm', 'serum'],
    price: 1800,
    variantAttribute: { name: 'volume', values: ['50 ml', '100 ml', '250 ml'] },
    productAttributes: { skin: ['dry', 'normal', 'oily', 'all'] },
  },
  {
    name: 'sports',
    nouns: ['yoga mat', 'dumbbell', 'jump rope', 'tennis racket', 'football'],
    price: 3400,
    variantAttribute: { name: 'color', values: COLORS },
    productAttributes: { level: ['beginner', 'intermediate', 'pro'] },
  },
  {
    name: 'garden',
    nouns: ['planter', 'watering can', 'pruner', 'hose', 'seed kit'],
    price: 2700,
    variantAttribute: { name: 'size', values: ['small', 'medium', 'large'] },
    productAttributes: { indoor: ['true', 'false'] },
  },
  {
    name: 'office',
    nouns: ['desk lamp', 'pen set', 'organizer', 'monitor stand', 'chair mat'],
    price: 3100,
    variantAttribute: { name: 'color', values: ['black', 'white', 'oak'] },
    productAttributes: { assembly: ['none', 'tools included'] },
  },
  {
    name: 'pets',
    nouns: ['dog bed', 'cat tree', 'leash', 'feeding bowl', 'chew toy'],
    price: 2600,
    variantAttribute: { name: 'size', values: ['small', 'medium', 'large'] },
    productAttributes: { animal: ['dog', 'cat', 'small pets'] },
  },
  {
    name: 'jewelry',
    nouns: ['necklace', 'ring', 'bracelet', 'earrings', 'pendant'],
    price: 5900,
    variantAttribute: { name: 'metal', values: ['silver', 'gold', 'rose gold'] },
    productAttributes: { stone: ['none', 'pearl', 'opal', 'garnet'] },
  },
  {
    name: 'bags',
    nouns: ['tote', 'duffel', 'messenger bag', 'wallet', 'laptop sleeve'],
    price: 4900,
    variantAttribute: { name: 'color', values: COLORS },
    productAttributes: { closure: ['zip', 'magnetic', 'buckle'] },
  },
  {
    name: 'watches',
    nouns: ['watch', 'chronograph', 'smartwatch', 'dive watch', 'field watch'],
    price: 14900,
    variantAttribute: { name: 'strap', values: ['leather', 'steel', 'nylon'] },
    productAttributes: { water_resistance: ['30 m', '100 m', '200 m'] },
  },
  {
    name: 'furniture',
    nouns: ['bookshelf', 'side table', 'stool', 'bench', 'coat rack'],
    price: 12900,
    variantAttribute: { name: 'finish', values: ['oak', 'walnut', 'white', 'black'] },
    productAttributes: { assembly: ['none', 'tools included'] },
  },
  {
    name: 'lighting',
    nouns: ['floor lamp', 'pendant light', 'string lights', 'wall sconce', 'night light'],
    price: 4500,
    variantAttribute: { name: 'bulb', values: ['warm', 'neutral', 'daylight'] },
    productAttributes: { dimmable: ['true', 'false'] },
  },
  {
    name: 'tools',
    nouns: ['screwdriver set', 'hammer', 'tape measure', 'drill', 'level'],
    price: 3900,
    variantAttribute: { name: 'size', values: ['standard', 'pro'] },
    productAttributes: { cordless: ['true', 'false'] },
  },
  {
    name: 'baby',
    nouns: ['onesie', 'blanket', 'teether', 'bib', 'stroller organizer'],
    price: 2100,
    variantAttribute: { name: 'size', values: ['0-3 m', '3-6 m', '6-12 m'] },
    productAttributes: { organic: ['true', 'false'] },
  },
];

const PHRASES = [
  'built to last through daily use',
  'designed in small batches',
  'easy to clean and care for',
  'a favourite gift for every season',
  'made with responsibly sourced materials',
  'tested by our team for months',
  'pairs well with the rest of the collection',
  'comes with a two-year guarantee',
  'lightweight enough to take anywhere',
  'finished by hand for a unique look',
];

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
const capitalise = (text: string) => text.replace(/\b\w/g, (c) => c.toUpperCase());

/** The n-th product of a deterministic catalog: title, description, category, attributes, 1–3 variants with prices and stock. */
export function generateProduct(rnd: () => number, n: number, skuPrefix: string, currency: string): NewProduct {
  const category = pick(rnd, CATEGORIES);
  const brand = pick(rnd, BRANDS);
  const adjective = pick(rnd, ADJECTIVES);
  const material = pick(rnd, MATERIALS);
  const noun = pick(rnd, category.nouns);
  const attributes: Record<string, string | boolean> = { brand, material };
  for (const [name, values] of Object.entries(category.productAttributes)) {
    const value = pick(rnd, values);
    attributes[name] = value === 'true' ? true : value === 'false' ? false : value;
  }
  // Log-normal around the category's typical price, in whole cents ending in 99 or 00.
  const base = Math.max(199, Math.round((category.price * Math.exp((rnd() - 0.5) * 1.6)) / 100) * 100 - (rnd() < 0.7 ? 1 : 0));
  const options = [...category.variantAttribute.values].sort(() => rnd() - 0.5).slice(0, 1 + Math.floor(rnd() * 3));
  return {
    title: capitalise(`${brand} ${adjective} ${material} ${noun}`),
    description: `A ${adjective} ${material} ${noun} by ${brand}, ${pick(rnd, PHRASES)}. ${capitalise(pick(rnd, PHRASES))}, and ${pick(rnd, PHRASES)}.`,
    category: category.name,
    attributes,
    variants: options.map((option, i) => ({
      sku: `${skuPrefix}-${n}-${i}`,
      title: `${capitalise(category.variantAttribute.name)} ${option}`,
      price: { amount: base + i * 200, currency },
      attributes: { [category.variantAttribute.name]: option },
      stock: Math.floor(rnd() * 200),
    })),
  };
}
