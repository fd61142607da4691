import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { Empty, Gate, Pager, Status, useLoad } from '../components/common.js';
import { money, time } from '../format.js';
import { Link, navigate, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import { ORDER_STATUSES, type Order, type Page } from '../types.js';

const FILTERS = ['status', 'email', 'createdFrom', 'createdTo'] as const;

/** A date input's day as the start of that day in UTC, which is what the API's date-time filters take. */
const dayStart = (day: string) => (day ? `${day}T00:00:00.000Z` : '');
/** "To" is inclusive for the operator (the whole day), exclusive for the API: the next day's start. */
const dayAfter = (day: string) => (day ? new Date(new Date(`${day}T00:00:00.000Z`).getTime() + 86_400_000).toISOString() : '');

/** Every order, newest first, filtered by status, customer email and day; paged by cursor. */
export function OrdersPage() {
  const here = useStore(place);
  const params = Object.fromEntries(FILTERS.map((f) => [f, here.query.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const cursor = here.query.get('cursor') ?? '';
  const search = query({
    limit: 25,
    status: params.status,
    email: params.email,
    createdFrom: dayStart(params.createdFrom),
    createdTo: dayAfter(params.createdTo),
    cursor,
  });
  const orders = useLoad(search, (signal) => api<Page<Order>>('GET', `/v1/orders${search}`, { signal }));
  const go = (next: Record<string, string>) => navigate(`/admin/orders${query({ ...params, ...next })}`);

  return (
    <>
      <h1>Orders</h1>
      <Filters initial={params} onApply={(f) => go({ ...f, cursor: '' })} />
      <Gate loaded={orders}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No orders match these filters.</Empty>
          ) : (
            <>
              <table>
                <caption class="visually-hidden">Orders, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Order</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Status</th>
                    <th scope="col">Payment</th>
                    <th scope="col" class="num">
                      Total
                    </th>
                    <th scope="col">Items</th>
                    <th scope="col">Placed (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((o) => (
                    <tr key={o.id}>
                      <td>
                        <Link href={`/admin/orders/${o.id}`} class="mono small">
                          {o.id}
                        </Link>
                      </td>
                      <td>{o.customerEmail ?? <span class="mono small">{o.userId}</span>}</td>
                      <td>
                        <Status value={o.status} />
                      </td>
                      <td>
                        <Status value={o.payment.status} />
                      </td>
                      <td class="num">{money(o.total)}</td>
                      <td>{o.items.reduce((n, i) => n + i.quantity, 0)}</td>
                      <td class="mono">{time(o.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager
                nextCursor={page.nextCursor}
                onFirstPage={cursor === ''}
                onFirst={() => go({ cursor: '' })}
                onNext={(next) => go({ cursor: next })}
              />
            </>
          )
        }
      </Gate>
    </>
  );
}

function Filters({ initial, onApply }: { initial: Record<string, string>; onApply: (filters: Record<string, string>) => void }) {
  const [f, setF] = useState(initial);
  const set = (key: string) => (e: Event) => setF({ ...f, [key]: (e.currentTarget as HTMLInputElement).value });
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ ...f, email: (f.email ?? '').trim() });
      }}
    >
      <label>
        Status
        <select value={f.status} onChange={set('status')}>
          <option value="">Any</option>
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Customer email
        <input type="email" value={f.email} onInput={set('email')} placeholder="name@example.com" />
      </label>
      <label>
        From (UTC day)
        <input type="date" value={f.createdFrom} onInput={set('createdFrom')} />
      </label>
      <label>
        To (UTC day)
        <input type="date" value={f.createdTo} onInput={set('createdTo')} />
      </label>
      <button type="submit" class="primary">
        Apply filters
      </button>
      <button
        type="button"
        onClick={() => {
          const cleared = { status: '', email: '', createdFrom: '', createdTo: '' };
          setF(cleared);
          onApply(cleared);
        }}
      >
        Clear
      </button>
    </form>
  );
}
