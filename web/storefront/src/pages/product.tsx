import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { addToCart } from '../cart-state.js';
import { Loading, Problem, ProductGrid, useLoad } from '../components/common.js';
import { label, money, stockText } from '../format.js';
import { Link } from '../../../shared/router.js';
import type { Product } from '../types.js';

export function ProductPage({ id }: { id: string }) {
  const product = useLoad(
    `product:${id}`,
    async (signal) => (await api<Product>('GET', `/v1/products/${encodeURIComponent(id)}`, { signal })).data,
  );
  if (product.loading && !product.value)
    return (
      <main id="main">
        <Loading />
      </main>
    );
  if (!product.value)
    return (
      <main id="main">
        <h1>Product not found</h1>
        <Problem error={product.error} />
        <Link href="/">Back to the shop</Link>
      </main>
    );
  return <ProductView product={product.value} />;
}

function ProductView({ product }: { product: Product }) {
  const [variantId, setVariantId] = useState(product.variants[0]?.id ?? '');
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const skus = product.variants.map((v) => `sku=${encodeURIComponent(v.sku)}`).join('&');
  const stock = useLoad(`stock:${product.id}`, async (signal) => {
    const { data } = await api<{ items: { sku: string; available: number }[] }>('GET', `/v1/stock?${skus}`, { signal });
    return new Map(data.items.map((i) => [i.sku, i.available]));
  });
  const variant = product.variants.find((v) => v.id === variantId) ?? product.variants[0];
  if (!variant)
    return (
      <main id="main">
        <h1>{product.title}</h1>
        <p>This product has no variants for sale.</p>
      </main>
    );
  const available = stock.value ? (stock.value.get(variant.sku) ?? 0) : undefined;
  const soldOut = available !== undefined && available <= 0;

  const add = async () => {
    setBusy(true);
    setError(null);
    setAdded('');
    try {
      await addToCart({
        variantId: variant.id,
        sku: variant.sku,
        title: `${product.title} (${variant.title})`,
        quantity,
        unitPrice: variant.price,
      });
      setAdded(`Added ${quantity} × ${product.title} to your cart.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="product">
      <img class="product-image" src={`/images/products/${product.id}.svg`} alt={product.title} width={400} height={400} />
      <div class="product-info">
        <p class="crumbs">
          <Link href={`/search?category=${encodeURIComponent(product.category)}`}>{label(product.category)}</Link>
        </p>
        <h1>{product.title}</h1>
        <p class="price">{money(variant.price)}</p>
        <p class={`stock ${soldOut ? 'out' : available !== undefined && available <= 5 ? 'low' : ''}`}>{stockText(available)}</p>
        {product.variants.length > 1 && (
          <fieldset class="variants">
            <legend>Choose</legend>
            {product.variants.map((v) => (
              <label key={v.id} class={`variant ${v.id === variant.id ? 'chosen' : ''}`}>
                <input type="radio" name="variant" checked={v.id === variant.id} onChange={() => setVariantId(v.id)} />
                {v.title} · {money(v.price)}
                {stock.value && (stock.value.get(v.sku) ?? 0) <= 0 ? ' · sold out' : ''}
              </label>
            ))}
          </fieldset>
        )}
        <div class="buy">
          <label>
            Quantity
            <input
              type="number"
              min="1"
              max={Math.max(1, Math.min(100, available ?? 100))}
              value={quantity}
              onInput={(e) => setQuantity(Math.max(1, Math.min(100, Number(e.currentTarget.value) || 1)))}
            />
          </label>
          <button type="button" disabled={busy || soldOut} onClick={add}>
            Add to cart
          </button>
        </div>
        {soldOut && (
          <p class="problem" role="alert">
            Sold out: this {product.variants.length > 1 ? 'option' : 'product'} cannot be ordered right now.
          </p>
        )}
        {added && (
          <p class="notice" role="status">
            {added} <Link href="/cart">View cart</Link>
          </p>
        )}
        <Problem error={error} />
        <p>{product.description}</p>
        <dl class="attributes">
          {Object.entries({ ...product.attributes, ...variant.attributes }).map(([name, value]) => (
            <div key={name}>
              <dt>{label(name)}</dt>
              <dd>{value === true ? 'yes' : value === false ? 'no' : String(value)}</dd>
            </div>
          ))}
        </dl>
      </div>
      <BoughtTogether productId={product.id} />
    </main>
  );
}

/** Hidden when the recommender answers degraded (or knows nothing yet): an empty shelf helps no one. */
function BoughtTogether({ productId }: { productId: string }) {
  const recs = useLoad(`recs:${productId}`, async (signal) => {
    const answer = await api<{ items: Product[] }>('GET', `/v1/products/${productId}/recommendations?limit=4`, { signal });
    return answer.headers.get('x-degraded') ? [] : answer.data.items;
  });
  if (!recs.value || recs.value.length === 0) return null;
  return (
    <section class="recs" aria-labelledby="recs">
      <h2 id="recs">Bought together</h2>
      <ProductGrid products={recs.value} />
    </section>
  );
}
