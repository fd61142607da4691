import { api } from '../api.js';
import { Loading, Problem, ProductGrid, useLoad } from '../components/common.js';
import { label } from '../format.js';
import { Link } from '../../../shared/router.js';
import type { Page, Product, SearchPage } from '../types.js';

export function HomePage() {
  const categories = useLoad(
    'categories',
    async (signal) => (await api<SearchPage>('GET', '/v1/search?limit=1', { signal })).data.facets.category,
  );
  const latest = useLoad('latest', async (signal) => (await api<Page<Product>>('GET', '/v1/products?limit=12', { signal })).data.items);
  return (
    <main id="main">
      <section class="hero">
        <h1>Good things, delivered</h1>
        <p>Browse the catalog, add a few things to your cart and check out with a test card.</p>
      </section>
      <section aria-labelledby="categories">
        <h2 id="categories">Categories</h2>
        {categories.loading && <Loading />}
        <Problem error={categories.error} />
        <ul class="chips">
          {Object.entries(categories.value ?? {})
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, count]) => (
              <li key={name}>
                <Link class="chip" href={`/search?category=${encodeURIComponent(name)}`}>
                  {label(name)} <span class="count">{count}</span>
                </Link>
              </li>
            ))}
        </ul>
      </section>
      <section aria-labelledby="new">
        <h2 id="new">New products</h2>
        {latest.loading && <Loading />}
        <Problem error={latest.error} />
        {latest.value && latest.value.length === 0 && <p class="muted">No products yet.</p>}
        {latest.value && <ProductGrid products={latest.value} />}
      </section>
    </main>
  );
}
