import { useState } from 'preact/hooks';
import { api, saveSession, session } from '../api.js';
import { forgetCart } from '../cart-state.js';
import { AuthForms } from '../components/auth-forms.js';
import { Loading, Problem, useLoad } from '../components/common.js';
import { capitalise, dateTime, label, money } from '../format.js';
import { Link, navigate, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import type { Notification, Order, Page, Preferences } from '../types.js';

export function SignInPage() {
  const here = useStore(place);
  const next = here.query.get('next');
  return (
    <main id="main" class="narrow">
      <h1>Your account</h1>
      <AuthForms onDone={() => navigate(next?.startsWith('/') ? next : '/account')} />
    </main>
  );
}

export function AccountPage() {
  const user = useStore(session);
  if (!user) return <SignInPage />;
  const signOut = async () => {
    await api('POST', '/v1/auth/logout').catch(() => undefined);
    saveSession(null);
    forgetCart();
    navigate('/');
  };
  return (
    <main id="main" class="account">
      <h1>Hello, {user.user.name}</h1>
      <p class="muted">
        {user.user.email}{' '}
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </p>
      <div class="account-grid">
        <Orders />
        <div>
          <NotificationPreferences />
          <Notifications />
        </div>
      </div>
    </main>
  );
}

function Orders() {
  const orders = useLoad('orders', async (signal) => (await api<Page<Order>>('GET', '/v1/orders?limit=20', { signal })).data.items);
  return (
    <section aria-labelledby="orders">
      <h2 id="orders">Orders</h2>
      {orders.loading && <Loading />}
      <Problem error={orders.error} />
      {orders.value?.length === 0 && <p class="muted">No orders yet.</p>}
      <ul class="lines">
        {orders.value?.map((o) => (
          <li key={o.id} class="line">
            <Link href={`/orders/${o.id}`}>{o.id}</Link>
            <span>{dateTime(o.createdAt)}</span>
            <span class={`pill status-${o.status}`}>{capitalise(o.status)}</span>
            <span class="line-price">{money(o.total)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function NotificationPreferences() {
  const prefs = useLoad('prefs', async (signal) => (await api<Preferences>('GET', '/v1/me/notification-preferences', { signal })).data);
  const [saved, setSaved] = useState<Preferences | null>(null);
  const [error, setError] = useState<{ channel: string; error: unknown } | null>(null);
  const current = saved ?? prefs.value;
  const toggle = async (channel: keyof Preferences, on: boolean) => {
    setError(null);
    try {
      setSaved((await api<Preferences>('PUT', '/v1/me/notification-preferences', { body: { [channel]: on } })).data);
    } catch (e) {
      setError({ channel, error: e });
    }
  };
  return (
    <section aria-labelledby="prefs">
      <h2 id="prefs">Notification preferences</h2>
      {prefs.loading && <Loading />}
      <Problem error={prefs.error} />
      {current && (
        <fieldset>
          <legend>Tell me about my orders by</legend>
          {(['email', 'sms', 'push'] as const).map((channel) => (
            <div key={channel}>
              <label class="facet">
                <input type="checkbox" checked={current[channel]} onChange={(e) => toggle(channel, e.currentTarget.checked)} />
                {channel === 'sms' ? 'SMS' : label(channel)}
              </label>
              {error?.channel === channel && <Problem error={error.error} />}
            </div>
          ))}
        </fieldset>
      )}
    </section>
  );
}

function Notifications() {
  const list = useLoad(
    'notifications',
    async (signal) => (await api<Page<Notification>>('GET', '/v1/notifications?limit=20', { signal })).data.items,
  );
  return (
    <section aria-labelledby="notes">
      <h2 id="notes">Notifications</h2>
      {list.loading && <Loading />}
      <Problem error={list.error} />
      {list.value?.length === 0 && <p class="muted">Nothing yet.</p>}
      <ul class="notes">
        {list.value?.map((n) => (
          <li key={n.id}>
            {label(n.template)} · {n.channel} · {n.status} · <time dateTime={n.createdAt}>{dateTime(n.createdAt)}</time>
          </li>
        ))}
      </ul>
    </section>
  );
}
