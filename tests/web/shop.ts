import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { eventually, startPaymentSim, type PaymentSimProcess } from '../support/payment-sim.js';
import { STOREFRONT_DIR, buildWeb } from './browser.js';

export interface TestShop {
  app: TestApp;
  sim: PaymentSimProcess;
  /** Products by role in the tests; each is in the search index before the shop opens. */
  products: { cup: any; kettle: any; knife: any; soldOut: any; lowStock: any };
  stop(): Promise<void>;
}

/**
 * A real Orderly serving the built storefront, paying through the payment simulator (a real HTTP process),
 * with a small catalog of its own: the storefront only ever speaks the public API.
 */
export async function openTestShop(): Promise<TestShop> {
  buildWeb();
  const sim = await startPaymentSim();
  const app = await startApp('sqlite', { PAYMENT_PROVIDER_URL: sim.url, ORDERLY_WEB_DIR: STOREFRONT_DIR });
  const variant = (price: number, stock: number, attributes: Record<string, string> = {}) => ({
    sku: uniqueSku('WEB'),
    title: Object.values(attributes).join(' ') || 'Standard',
    price: { amount: price, currency: 'USD' },
    stock,
    attributes,
  });
  const cup = await app.product({
    title: 'Porcelain espresso cup',
    description: 'A thick-walled cup that keeps the crema.',
    category: 'kitchen',
    attributes: { material: 'porcelain' },
    variants: [variant(1200, 40, { color: 'white' }), variant(1300, 40, { color: 'black' })],
  });
  const kettle = await app.product({
    title: 'Steel espresso kettle',
    category: 'kitchen',
    attributes: { material: 'steel' },
    variants: [variant(4500, 20)],
  });
  const knife = await app.product({
    title: 'Espresso tamper',
    category: 'tools',
    attributes: { material: 'steel' },
    variants: [variant(2500, 20)],
  });
  const soldOut = await app.product({ title: 'Vintage espresso grinder', category: 'kitchen', variants: [variant(9900, 0)] });
  const lowStock = await app.product({ title: 'Espresso tasting notebook', category: 'books', variants: [variant(900, 3)] });
  // Search is eventually consistent with the catalog: open the shop once every product can be found.
  await eventually('the catalog indexed', async () => (await app.http.get('/v1/search?q=espresso')).body.items?.length === 5);
  return {
    app,
    sim,
    products: { cup, kettle, knife, soldOut, lowStock },
    async stop() {
      await app.stop();
      await sim.stop();
    },
  };
}
