import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ConfirmButton, Empty, Fact, Gate, Problem, Status, useLoad } from '../components/common.js';
import { money, shortId, time } from '../format.js';
import { Link } from '../../../shared/router.js';
import type { Movement, Page, Product, Stock, Variant } from '../types.js';
import { toMinor } from './catalog.js';

/** One product: edit it, archive it, and each SKU's stock with its adjustments and movements ledger. */
export function ProductPage({ id }: { id: string }) {
  const product = useLoad(`product-${id}`, (signal) => api<Product>('GET', `/v1/products/${encodeURIComponent(id)}`, { signal }));
  return (
    <>
      <p class="crumbs">
        <Link href="/admin/catalog">Catalog</Link> /
      </p>
      <Gate loaded={product}>{(p) => <ProductView p={p} reload={product.reload} />}</Gate>
    </>
  );
}

function ProductView({ p, reload }: { p: Product; reload: () => void }) {
  const archived = p.status === 'archived';
  return (
    <>
      <div class="title-row">
        <h1>{p.title}</h1>
        {archived ? (
          <ConfirmButton
            label="Restore product"
            title="Restore this product?"
            confirmLabel="Restore"
            onConfirm={async () => {
              await api('PATCH', `/v1/products/${p.id}`, { body: { status: 'active' } });
              reload();
            }}
          >
            <p>It shows in the shop again and can be bought.</p>
          </ConfirmButton>
        ) : (
          <ConfirmButton
            label="Archive product"
            title="Archive this product?"
            confirmLabel="Archive"
            danger
            onConfirm={async () => {
              await api('PATCH', `/v1/products/${p.id}`, { body: { status: 'archived' } });
              reload();
            }}
          >
            <p>It leaves the shop and search; orders already placed are not touched. It can be restored later.</p>
          </ConfirmButton>
        )}
      </div>
      <dl class="facts">
        <Fact label="Status">
          <Status value={p.status} />
        </Fact>
        <Fact label="Category">{p.category}</Fact>
        <Fact label="Id">
          <span class="mono">{p.id}</span>
        </Fact>
        <Fact label="Updated">{time(p.updatedAt)}</Fact>
      </dl>
      <EditProduct p={p} onSaved={reload} />
      <h2>Stock per SKU</h2>
      {p.variants.map((v) => (
        <VariantStock key={v.id} variant={v} />
      ))}
    </>
  );
}

function EditProduct({ p, onSaved }: { p: Product; onSaved: () => void }) {
  const [title, setTitle] = useState(p.title);
  const [description, setDescription] = useState(p.description);
  const [prices, setPrices] = useState(Object.fromEntries(p.variants.map((v) => [v.id, (v.price.amount / 100).toFixed(2)])));
  const [state, setState] = useState<{ busy: boolean; error: unknown; saved: boolean }>({ busy: false, error: null, saved: false });
  const submit = async (event: Event) => {
    event.preventDefault();
    setState({ busy: true, error: null, saved: false });
    try {
      const variants = p.variants
        .filter((v) => toMinor(prices[v.id] ?? '') !== v.price.amount)
        .map((v) => ({ id: v.id, price: { amount: toMinor(prices[v.id] ?? ''), currency: v.price.currency } }));
      await api('PATCH', `/v1/products/${p.id}`, {
        body: { title: title.trim(), description, ...(variants.length ? { variants } : {}) },
      });
      setState({ busy: false, error: null, saved: true });
      onSaved();
    } catch (error) {
      setState({ busy: false, error, saved: false });
    }
  };
  return (
    <section class="panel" aria-labelledby="edit">
      <h2 id="edit">Details and prices</h2>
      <form class="form" onSubmit={submit}>
        <label>
          Title
          <input required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <textarea rows={3} maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <div class="row">
          {p.variants.map((v) => (
            <label key={v.id}>
              Price of {v.sku} ({v.price.currency})
              <input
                required
                type="number"
                min="0"
                step="0.01"
                value={prices[v.id]}
                onInput={(e) => setPrices({ ...prices, [v.id]: e.currentTarget.value })}
              />
            </label>
          ))}
        </div>
        <Problem error={state.error} />
        {state.saved ? (
          <p class="ok-text" role="status">
            Saved.
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={state.busy}>
          {state.busy ? 'Saving…' : 'Save changes'}
        </button>
      </form>
    </section>
  );
}

function VariantStock({ variant }: { variant: Variant }) {
  const sku = encodeURIComponent(variant.sku);
  const stock = useLoad(`stock-${variant.sku}`, (signal) => api<Stock>('GET', `/v1/inventory/${sku}`, { signal }));
  const [cursor, setCursor] = useState('');
  const moves = useLoad(`moves-${variant.sku}-${cursor}-${stock.value?.available}-${stock.value?.reserved}`, (signal) =>
    api<Page<Movement>>('GET', `/v1/inventory/${sku}/movements${query({ limit: 10, cursor })}`, { signal }),
  );
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const adjust = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api('POST', `/v1/inventory/${sku}/adjustments`, { body: { delta: Number.parseInt(delta, 10), reason: reason.trim() } });
      setDelta('');
      setReason('');
      setCursor('');
      stock.reload();
    } catch (e) {
      setError(e);
    }
  };
  const headingId = `sku-${variant.id}`;
  return (
    <section class="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>
        <span class="mono">{variant.sku}</span> · {variant.title} · {money(variant.price)}
      </h3>
      <Gate loaded={stock}>
        {(s) => (
          <dl class="facts inline">
            <Fact label="Available">{s.available}</Fact>
            <Fact label="Reserved">{s.reserved}</Fact>
            <Fact label="Sold">{s.sold}</Fact>
          </dl>
        )}
      </Gate>
      <form class="row" onSubmit={adjust} aria-label={`Adjust stock of ${variant.sku}`}>
        <label>
          Change (+/− units)
          <input required type="number" step="1" value={delta} onInput={(e) => setDelta(e.currentTarget.value)} />
        </label>
        <label class="grow">
          Reason
          <input
            required
            maxLength={200}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            placeholder="received, damaged, count…"
          />
        </label>
        <button type="submit">Adjust stock</button>
      </form>
      <Problem error={error} />
      <h4>Movements</h4>
      <Gate loaded={moves}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No movements yet.</Empty>
          ) : (
            <>
              <table>
                <caption class="visually-hidden">Stock movements of {variant.sku}, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">At (UTC)</th>
                    <th scope="col">Kind</th>
                    <th scope="col" class="num">
                      Available
                    </th>
                    <th scope="col" class="num">
                      Reserved
                    </th>
                    <th scope="col" class="num">
                      Sold
                    </th>
                    <th scope="col">Order</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((m) => (
                    <tr key={m.id}>
                      <td class="mono">{time(m.at)}</td>
                      <td>{m.kind}</td>
                      <td class="num">{signed(m.delta.available)}</td>
                      <td class="num">{signed(m.delta.reserved)}</td>
                      <td class="num">{signed(m.delta.sold)}</td>
                      <td>
                        {m.orderId ? (
                          <Link href={`/admin/orders/${m.orderId}`} class="mono" title={m.orderId}>
                            {shortId(m.orderId)}
                          </Link>
                        ) : (
                          '—'
                        )}
                      </td>
                      <td>{m.reason ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="pager">
                <button type="button" disabled={cursor === ''} onClick={() => setCursor('')}>
                  Newest movements
                </button>
                <button type="button" disabled={page.nextCursor === null} onClick={() => page.nextCursor && setCursor(page.nextCursor)}>
                  Older movements
                </button>
              </div>
            </>
          )
        }
      </Gate>
    </section>
  );
}

const signed = (n: number) => (n > 0 ? `+${n}` : n === 0 ? '0' : `−${-n}`);
