import { api } from '../api.js';
import { ConfirmButton, Empty, Fact, Gate, Status, useLoad } from '../components/common.js';
import { duration, money, time } from '../format.js';
import { Link } from '../../../shared/router.js';
import type { OrderDetail, SagaStep } from '../types.js';

const CANCELLABLE = new Set(['pending', 'confirmed']);

/** One order as an operator needs it: what happened, step by step, and why. */
export function OrderPage({ id }: { id: string }) {
  const detail = useLoad(`order-${id}`, (signal) => api<OrderDetail>('GET', `/v1/admin/orders/${encodeURIComponent(id)}`, { signal }));
  return (
    <>
      <p class="crumbs">
        <Link href="/admin/orders">Orders</Link> /
      </p>
      <Gate loaded={detail}>{(d) => <OrderView d={d} reload={detail.reload} />}</Gate>
    </>
  );
}

function OrderView({ d, reload }: { d: OrderDetail; reload: () => void }) {
  const { order } = d;
  return (
    <>
      <div class="title-row">
        <h1>
          Order <span class="mono">{order.id}</span>
        </h1>
        <ConfirmButton
          label="Cancel order"
          title="Cancel this order?"
          confirmLabel="Cancel the order"
          danger
          disabled={!CANCELLABLE.has(order.status)}
          onConfirm={async () => {
            await api('POST', `/v1/orders/${order.id}/cancel`);
            reload();
          }}
        >
          <p>
            The stock is released and a captured payment of {money(order.total)} is refunded. The customer is told. This cannot be undone.
          </p>
        </ConfirmButton>
      </div>
      {!CANCELLABLE.has(order.status) ? <p class="muted small">This order can no longer be cancelled: it is {order.status}.</p> : null}
      <dl class="facts">
        <Fact label="Status">
          <Status value={order.status} />
        </Fact>
        <Fact label="Total">{money(order.total)}</Fact>
        <Fact label="Customer">
          {d.customer ? (
            <>
              {d.customer.name}
              <div class="small">{d.customer.email}</div>
            </>
          ) : (
            <span class="mono">{order.userId}</span>
          )}
        </Fact>
        <Fact label="Placed">{time(order.createdAt)}</Fact>
        <Fact label="Trace id">{d.traceId ? <span class="mono">{d.traceId}</span> : <span class="muted">not traced</span>}</Fact>
        {order.cancellationReason ? <Fact label="Cancelled because">{order.cancellationReason}</Fact> : null}
      </dl>

      <section aria-labelledby="saga">
        <h2 id="saga">
          Saga <Status value={d.saga.status} />
        </h2>
        {d.saga.steps.length === 0 ? <Empty>No saga step recorded yet.</Empty> : <SagaTimeline steps={d.saga.steps} />}
      </section>

      <div class="columns">
        <section aria-labelledby="payment">
          <h2 id="payment">Payment</h2>
          {d.payment ? (
            <>
              <dl class="facts">
                <Fact label="Status">
                  <Status value={d.payment.status} />
                </Fact>
                <Fact label="Amount">{money(d.payment.amount)}</Fact>
              </dl>
              {d.payment.attempts.length === 0 ? (
                <Empty>No call to the provider yet.</Empty>
              ) : (
                <table>
                  <caption class="visually-hidden">Payment provider attempts</caption>
                  <thead>
                    <tr>
                      <th scope="col">Operation</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Error</th>
                      <th scope="col">At (UTC)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.payment.attempts.map((a) => (
                      <tr key={`${a.operation}-${a.at}`}>
                        <td>{a.operation}</td>
                        <td>
                          <Status value={a.outcome} />
                        </td>
                        <td>{a.error ?? '—'}</td>
                        <td class="mono">{time(a.at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          ) : (
            <Empty>No payment for this order.</Empty>
          )}
        </section>
        <section aria-labelledby="shipment">
          <h2 id="shipment">Shipment</h2>
          {d.shipment ? (
            <>
              <dl class="facts">
                <Fact label="Status">
                  <Status value={d.shipment.status} />
                </Fact>
                <Fact label="Tracking number">
                  <span class="mono">{d.shipment.trackingNumber}</span>
                </Fact>
              </dl>
              <ol class="history">
                {d.shipment.history.map((h) => (
                  <li key={`${h.status}-${h.at}`}>
                    <Status value={h.status} /> <span class="mono">{time(h.at)}</span>
                  </li>
                ))}
              </ol>
            </>
          ) : (
            <Empty>Not shipped.</Empty>
          )}
        </section>
      </div>

      <section aria-labelledby="items">
        <h2 id="items">Items</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col">Title</th>
              <th scope="col" class="num">
                Quantity
              </th>
              <th scope="col" class="num">
                Unit price
              </th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((i) => (
              <tr key={i.variantId}>
                <td class="mono">{i.sku}</td>
                <td>{i.title}</td>
                <td class="num">{i.quantity}</td>
                <td class="num">{money(i.unitPrice)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="messages">
        <h2 id="messages">Messages</h2>
        {d.messages.length === 0 ? (
          <Empty>No bus message about this order.</Empty>
        ) : (
          <table>
            <caption class="visually-hidden">Bus messages about this order, in order</caption>
            <thead>
              <tr>
                <th scope="col">At (UTC)</th>
                <th scope="col">Type</th>
                <th scope="col">Direction</th>
                <th scope="col">Consumer group</th>
                <th scope="col">Message id</th>
              </tr>
            </thead>
            <tbody>
              {d.messages.map((m) => (
                <tr key={`${m.id}-${m.direction}-${m.group}`}>
                  <td class="mono">{time(m.at)}</td>
                  <td>{m.type}</td>
                  <td>{m.direction}</td>
                  <td>{m.group ?? '—'}</td>
                  <td class="mono small">{m.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

/** The saga as a vertical timeline: each step, its attempts and times, its error; compensations marked as undo. */
function SagaTimeline({ steps }: { steps: SagaStep[] }) {
  return (
    <ol class="timeline" aria-label="Saga steps, in order">
      {steps.map((s, i) => (
        <li key={`${s.name}-${i}`} class={`step ${s.status} ${s.kind}`}>
          <div class="step-head">
            <span class="step-name">
              {s.kind === 'compensation' ? <span class="tag">compensation</span> : null}
              {s.name}
            </span>
            <Status value={s.status} />
          </div>
          <div class="step-meta muted small">
            {s.attempts} {s.attempts === 1 ? 'attempt' : 'attempts'} · started {time(s.startedAt)} · finished {time(s.finishedAt)} · took{' '}
            {duration(s.startedAt, s.finishedAt)}
          </div>
          {s.error ? <p class="step-error">{s.error}</p> : null}
        </li>
      ))}
    </ol>
  );
}
