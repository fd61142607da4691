import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { Empty, Gate, Pager, Problem, Status, useLoad } from '../components/common.js';
import { money, time } from '../format.js';
import { Link, navigate, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import type { Page, Product } from '../types.js';

/** Products, newest first, active or archived; and a form to create one with its variants. */
export function CatalogPage() {
  const here = useStore(place);
  const status = here.query.get('status') ?? 'active';
  const cursor = here.query.get('cursor') ?? '';
  const search = query({ limit: 25, status, cursor });
  const products = useLoad(search, (signal) => api<Page<Product>>('GET', `/v1/products${search}`, { signal }));
  const go = (next: Record<string, string>) => navigate(`/admin/catalog${query({ status, cursor, ...next })}`);
  return (
    <>
      <h1>Catalog</h1>
      <details class="panel">
        <summary>Create a product</summary>
        <CreateProduct onCreated={(p) => navigate(`/admin/catalog/${p.id}`)} />
      </details>
      <div class="tabs">
        <span class="muted">Show</span>
        {['active', 'archived'].map((s) => (
          <button key={s} type="button" aria-pressed={status === s} onClick={() => go({ status: s, cursor: '' })}>
            {s === 'active' ? 'Active' : 'Archived'}
          </button>
        ))}
      </div>
      <Gate loaded={products}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No {status} products.</Empty>
          ) : (
            <>
              <table>
                <caption class="visually-hidden">{status} products, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Title</th>
                    <th scope="col">Category</th>
                    <th scope="col">Status</th>
                    <th scope="col">Variants (SKU · price)</th>
                    <th scope="col">Updated (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((p) => (
                    <tr key={p.id}>
                      <td>
                        <Link href={`/admin/catalog/${p.id}`}>{p.title}</Link>
                      </td>
                      <td>{p.category}</td>
                      <td>
                        <Status value={p.status} />
                      </td>
                      <td class="small">
                        {p.variants.map((v) => (
                          <div key={v.id}>
                            <span class="mono">{v.sku}</span> · {money(v.price)}
                          </div>
                        ))}
                      </td>
                      <td class="mono">{time(p.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager
                nextCursor={page.nextCursor}
                onFirstPage={cursor === ''}
                onFirst={() => go({ cursor: '' })}
                onNext={(c) => go({ cursor: c })}
              />
            </>
          )
        }
      </Gate>
    </>
  );
}

interface VariantDraft {
  sku: string;
  title: string;
  price: string;
  stock: string;
}

const blankVariant = (): VariantDraft => ({ sku: '', title: '', price: '', stock: '0' });

/** Prices are typed as the operator reads them (12.50) and sent in minor units (1250). */
export const toMinor = (price: string) => Math.round(Number.parseFloat(price) * 100);

function CreateProduct({ onCreated }: { onCreated: (p: Product) => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [category, setCategory] = useState('');
  const [currency, setCurrency] = useState('USD');
  const [variants, setVariants] = useState<VariantDraft[]>([blankVariant()]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const setVariant = (i: number, key: keyof VariantDraft) => (e: Event) =>
    setVariants(variants.map((v, j) => (j === i ? { ...v, [key]: (e.currentTarget as HTMLInputElement).value } : v)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<Product>('POST', '/v1/products', {
        body: {
          title: title.trim(),
          ...(description.trim() ? { description: description.trim() } : {}),
          category: category.trim(),
          variants: variants.map((v) => ({
            sku: v.sku.trim(),
            ...(v.title.trim() ? { title: v.title.trim() } : {}),
            price: { amount: toMinor(v.price), currency },
            stock: Number.parseInt(v.stock || '0', 10),
          })),
        },
      });
      onCreated(created);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit}>
      <div class="row">
        <label>
          Title
          <input required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label>
          Category
          <input required maxLength={100} value={category} onInput={(e) => setCategory(e.currentTarget.value)} />
        </label>
        <label>
          Currency
          <input required pattern="[A-Z]{3}" maxLength={3} size={4} value={currency} onInput={(e) => setCurrency(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Description
        <textarea rows={2} maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <fieldset>
        <legend>Variants</legend>
        {variants.map((v, i) => (
          <div class="row" key={i}>
            <label>
              SKU
              <input required maxLength={64} value={v.sku} onInput={setVariant(i, 'sku')} />
            </label>
            <label>
              Variant title
              <input maxLength={200} value={v.title} onInput={setVariant(i, 'title')} placeholder="Standard" />
            </label>
            <label>
              Price
              <input required type="number" min="0" step="0.01" value={v.price} onInput={setVariant(i, 'price')} />
            </label>
            <label>
              Initial stock
              <input required type="number" min="0" step="1" value={v.stock} onInput={setVariant(i, 'stock')} />
            </label>
            {variants.length > 1 ? (
              <button type="button" class="link" onClick={() => setVariants(variants.filter((_, j) => j !== i))}>
                Remove variant {i + 1}
              </button>
            ) : null}
          </div>
        ))}
        <button type="button" onClick={() => setVariants([...variants, blankVariant()])}>
          Add a variant
        </button>
      </fieldset>
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create product'}
      </button>
    </form>
  );
}
