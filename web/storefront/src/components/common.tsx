import { useEffect, useState } from 'preact/hooks';
import { ApiError, connection } from '../api.js';
import { fromPrice, money } from '../format.js';
import { Link } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import type { Product } from '../types.js';

/**
 * A product in a grid: the whole card is one link, named by the product's title alone (the contract tests
 * and screen readers rely on), with its price as the link's description.
 */
export function ProductCard({ product }: { product: Product }) {
  const priceId = `price-${product.id}`;
  return (
    <Link class="card" href={`/products/${product.id}`} aria-describedby={priceId}>
      <img src={`/images/products/${product.id}.svg`} alt="" width={200} height={200} loading="lazy" />
      <span class="card-title">{product.title}</span>
      <span class="card-price" id={priceId} aria-hidden="true">
        {money(fromPrice(product.variants))}
      </span>
    </Link>
  );
}

export function ProductGrid({ products }: { products: Product[] }) {
  return (
    <ul class="grid">
      {products.map((p) => (
        <li key={p.id}>
          <ProductCard product={p} />
        </li>
      ))}
    </ul>
  );
}

/** An API error shown where it happened, counting down a Retry-After. */
export function Problem({ error }: { error: unknown }) {
  const [left, setLeft] = useState<number | null>(error instanceof ApiError ? error.retryAfterSeconds : null);
  useEffect(() => {
    const start = error instanceof ApiError ? error.retryAfterSeconds : null;
    setLeft(start);
    if (start === null) return;
    const timer = setInterval(() => setLeft((s) => (s === null || s <= 0 ? s : s - 1)), 1000);
    return () => clearInterval(timer);
  }, [error]);
  if (!error) return null;
  let text = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError && error.retryAfterSeconds !== null && left !== null)
    text = left > 0 ? text.replace(/in \d+ s/, `in ${left} s`) : 'You can try again now.';
  return (
    <p class="problem" role="alert">
      {text}
    </p>
  );
}

export function ConnectionBanner() {
  const state = useStore(connection);
  if (state === 'online') return null;
  return (
    <div class="banner" role="alert">
      {state === 'retrying' ? 'Connection lost. Retrying…' : 'You appear to be offline. We will try again when you retry.'}
    </div>
  );
}

/** Loads something when its key changes; the page shows a spinner, the error, or the value. */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>) {
  const [state, setState] = useState<{ value?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // The key names what is loaded; the loader is a fresh closure on every render and deliberately not a dependency.
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setState({ value, loading: false }),
      (error) => !controller.signal.aborted && setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [key, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Loading() {
  return (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  );
}
