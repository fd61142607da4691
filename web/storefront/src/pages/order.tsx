import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Loading, Problem } from '../components/common.js';
import { capitalise, dateTime, money } from '../format.js';
import { followOrder } from '../order-stream.js';
import type { Order } from '../types.js';

const REASONS: Record<string, string> = {
  out_of_stock: 'An item ran out of stock before we could set it aside for you. You have not been charged.',
  payment_declined: 'Your card was declined. You have not been charged; try another card.',
  payment_failed: 'The payment could not be completed. You have not been charged; please try again.',
  customer_request: 'You cancelled this order. Any payment is refunded.',
  admin_request: 'The shop cancelled this order. Any payment is refunded.',
  expired: 'The order was not completed in time. You have not been charged.',
};

const STATUS_TEXT: Record<string, string> = {
  pending: 'We are setting your items aside and taking payment…',
  confirmed: 'Your order is being prepared.',
  shipped: 'Your order is on its way.',
  delivered: 'Your order has arrived.',
  cancelled: 'This order will not be sent.',
};
const FINAL = new Set(['delivered', 'cancelled']);

export function OrderPage({ id }: { id: string }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState<'connecting' | 'live' | 'reconnecting' | 'done'>('connecting');
  const [cancelError, setCancelError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    const load = async () => {
      const { data } = await api<Order>('GET', `/v1/orders/${encodeURIComponent(id)}`, { signal: controller.signal });
      setOrder(data);
      return data;
    };
    // The stream says that something happened; the order itself (reason, payment, shipment) is read again.
    const follow = async () => {
      for (let attempt = 0; !controller.signal.aborted; attempt++) {
        try {
          const current = await load();
          setError(null);
          if (FINAL.has(current.status)) return setLive('done');
          setLive('live');
          await followOrder(id, () => void load().catch(() => undefined), controller.signal);
          const after = await load();
          if (FINAL.has(after.status)) return setLive('done');
        } catch (e) {
          if (controller.signal.aborted) return;
          setError(e);
          setLive('reconnecting');
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4))));
      }
    };
    void follow();
    return () => controller.abort();
  }, [id]);

  const cancel = async () => {
    setCancelError(null);
    try {
      setOrder((await api<Order>('POST', `/v1/orders/${encodeURIComponent(id)}/cancel`)).data);
    } catch (e) {
      setCancelError(e);
    }
  };

  if (!order)
    return (
      <main id="main">
        <h1>Order</h1>
        {error ? <Problem error={error} /> : <Loading />}
      </main>
    );
  return (
    <main id="main" class="order">
      <h1>Order {order.id}</h1>
      <div class={`status status-${order.status}`} role="status" aria-live="polite">
        <strong>{capitalise(order.status)}</strong> · {STATUS_TEXT[order.status] ?? order.status}
        {order.status === 'cancelled' && order.cancellationReason && (
          <p class="reason">{REASONS[order.cancellationReason] ?? order.cancellationReason}</p>
        )}
      </div>
      {live === 'reconnecting' && (
        <p class="problem" role="alert">
          Lost the live connection to your order. Reconnecting…
        </p>
      )}
      {live === 'live' && <p class="muted">This page updates by itself.</p>}
      <h2>Timeline</h2>
      <ol class="timeline">
        {order.timeline.map((entry) => (
          <li key={`${entry.status}-${entry.at}`}>
            <time dateTime={entry.at}>{dateTime(entry.at)}</time> <strong>{capitalise(entry.status.replace(/_/g, ' '))}</strong>
            {entry.note ? ` · ${entry.note}` : ''}
          </li>
        ))}
      </ol>
      <h2>Items</h2>
      <ul class="lines">
        {order.items.map((line) => (
          <li key={line.variantId} class="line">
            <span class="line-title">{line.title}</span>
            <span>× {line.quantity}</span>
            <span class="line-price">{money({ ...line.unitPrice, amount: line.unitPrice.amount * line.quantity })}</span>
          </li>
        ))}
      </ul>
      <p class="total">
        Total <strong>{money(order.total)}</strong> · payment {order.payment.status}
      </p>
      <p class="muted">
        Ships to {order.shippingAddress.name}, {order.shippingAddress.line1}, {order.shippingAddress.city}{' '}
        {order.shippingAddress.postalCode}, {order.shippingAddress.country}
        {order.shipment ? ` · tracking ${order.shipment.trackingNumber}` : ''}
      </p>
      {(order.status === 'pending' || order.status === 'confirmed') && (
        <button type="button" class="secondary" onClick={cancel}>
          Cancel order
        </button>
      )}
      <Problem error={cancelError} />
    </main>
  );
}
