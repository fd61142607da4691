import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Loading, Problem, ProductGrid } from '../components/common.js';
import { label } from '../format.js';
import { navigate, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import type { Product, SearchPage as Results } from '../types.js';

/** The URL is the search: every facet is a query parameter, so a search can be shared and walked back. */
function toggled(query: URLSearchParams, name: string, value: string, many = false): string {
  const next = new URLSearchParams(query);
  const has = next.getAll(name).includes(value);
  if (many) {
    const rest = next.getAll(name).filter((v) => v !== value);
    next.delete(name);
    for (const v of rest) next.append(name, v);
    if (!has) next.append(name, value);
  } else if (has) next.delete(name);
  else next.set(name, value);
  next.delete('cursor');
  return `/search?${next}`;
}

const apiQuery = (query: URLSearchParams) => {
  const out = new URLSearchParams();
  for (const key of ['q', 'category', 'minPrice', 'maxPrice']) {
    const v = query.get(key);
    if (v) out.set(key, key.endsWith('Price') ? String(Math.round(Number(v) * 100)) : v);
  }
  for (const attr of query.getAll('attr')) out.append('attr', attr);
  out.set('limit', '24');
  return out;
};

export function SearchPage() {
  const here = useStore(place);
  const key = apiQuery(here.query).toString();
  const [results, setResults] = useState<{ items: Product[]; facets: Results['facets']; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api<Results>('GET', `/v1/search?${key}`, { signal: controller.signal }).then(
      ({ data }) => {
        setResults({ items: data.items, facets: data.facets, next: data.nextCursor });
        setLoading(false);
      },
      (e) => {
        if (controller.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key]);

  const more = async () => {
    if (!results?.next) return;
    setLoading(true);
    try {
      const { data } = await api<Results>('GET', `/v1/search?${key}&cursor=${encodeURIComponent(results.next)}`);
      setResults({ ...results, items: [...results.items, ...data.items], next: data.nextCursor });
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const q = here.query.get('q');
  const category = here.query.get('category');
  const attrs = here.query.getAll('attr');
  const facets = results?.facets;
  return (
    <main id="main" class="search-page">
      <h1>{q ? `Results for “${q}”` : category ? label(category) : 'All products'}</h1>
      <div class="search-layout">
        <aside class="facets" aria-label="Filters">
          <fieldset>
            <legend>Category</legend>
            {Object.entries(facets?.category ?? {}).map(([name, count]) => (
              <label key={name} class="facet">
                <input type="checkbox" checked={category === name} onChange={() => navigate(toggled(here.query, 'category', name))} />
                {label(name)} <span class="count">{count}</span>
              </label>
            ))}
          </fieldset>
          <PriceFilter query={here.query} />
          {Object.entries(facets?.attributes ?? {})
            .filter(([name, values]) => Object.keys(values).length > 1 || attrs.some((a) => a.startsWith(`${name}:`)))
            .slice(0, 6)
            .map(([name, values]) => (
              <fieldset key={name}>
                <legend>{label(name)}</legend>
                {Object.entries(values)
                  .slice(0, 8)
                  .map(([value, count]) => (
                    <label key={value} class="facet">
                      <input
                        type="checkbox"
                        checked={attrs.includes(`${name}:${value}`)}
                        onChange={() => navigate(toggled(here.query, 'attr', `${name}:${value}`, true))}
                      />
                      {value} <span class="count">{count}</span>
                    </label>
                  ))}
              </fieldset>
            ))}
        </aside>
        <section class="results" aria-label="Results" aria-busy={loading}>
          <Problem error={error} />
          {results && results.items.length === 0 && !loading && <p class="muted">Nothing matches. Try fewer words or filters.</p>}
          {results && <ProductGrid products={results.items} />}
          {loading && <Loading />}
          {results?.next && !loading && (
            <button type="button" class="secondary more" onClick={more}>
              More results
            </button>
          )}
        </section>
      </div>
    </main>
  );
}

function PriceFilter({ query }: { query: URLSearchParams }) {
  const [min, setMin] = useState(query.get('minPrice') ?? '');
  const [max, setMax] = useState(query.get('maxPrice') ?? '');
  const [invalid, setInvalid] = useState('');
  const apply = (e: Event) => {
    e.preventDefault();
    if (min && max && Number(min) > Number(max)) return setInvalid('The lowest price must not be above the highest.');
    setInvalid('');
    const next = new URLSearchParams(query);
    for (const [name, value] of [
      ['minPrice', min],
      ['maxPrice', max],
    ] as const)
      value ? next.set(name, value) : next.delete(name);
    navigate(`/search?${next}`);
  };
  return (
    <form class="price" onSubmit={apply}>
      <fieldset>
        <legend>Price (USD)</legend>
        <label>
          From <input type="number" min="0" step="1" inputMode="numeric" value={min} onInput={(e) => setMin(e.currentTarget.value)} />
        </label>
        <label>
          To <input type="number" min="0" step="1" inputMode="numeric" value={max} onInput={(e) => setMax(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary">
          Apply
        </button>
        {invalid && (
          <p class="problem" role="alert">
            {invalid}
          </p>
        )}
      </fieldset>
    </form>
  );
}
