import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Empty, Gate, Problem, Status, useLoad } from '../components/common.js';
import { SecretOnce } from '../components/secret.js';
import { ms, percent } from '../format.js';
import { Link } from '../../../shared/router.js';
import type { Endpoint, EventType, Page } from '../types.js';

/** The merchant's webhook dashboard: endpoints with their health, a new endpoint, and the event catalog. */
export function WebhooksPage() {
  const endpoints = useLoad('endpoints', (signal) => api<Page<Endpoint>>('GET', '/v1/webhooks/endpoints?limit=100', { signal }), 5000);
  const types = useLoad('event-types', (signal) => api<{ items: EventType[] }>('GET', '/v1/webhooks/event-types', { signal }));
  const [created, setCreated] = useState<(Endpoint & { secret: string }) | null>(null);
  return (
    <>
      <h1>Webhooks</h1>
      <details class="panel">
        <summary>Add an endpoint</summary>
        <CreateEndpoint
          types={types.value?.items ?? []}
          onCreated={(e) => {
            setCreated(e);
            endpoints.reload();
          }}
        />
      </details>
      {created ? <SecretOnce secret={created.secret} what={`Endpoint ${created.url} was added. Its signing secret:`} /> : null}
      <h2>Endpoints</h2>
      <Gate loaded={endpoints}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No endpoints yet. Add one to receive the shop's events.</Empty>
          ) : (
            <table>
              <caption class="visually-hidden">Webhook endpoints with their health over the last 24 hours</caption>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">
                    Success (24 h)
                  </th>
                  <th scope="col" class="num">
                    p50 / p99
                  </th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Link href={`/admin/webhooks/${e.id}`} class="mono">
                        {e.url}
                      </Link>
                      {e.description ? <div class="muted small">{e.description}</div> : null}
                    </td>
                    <td class="small">{e.events.join(', ')}</td>
                    <td>
                      <Status value={e.disabled ? 'disabled' : 'enabled'} />
                      {e.disabledReason ? <div class="muted small">{e.disabledReason}</div> : null}
                    </td>
                    <td class="num">
                      {percent(e.health?.successRatio)}
                      <div class="muted small">{e.health ? `${e.health.succeeded}/${e.health.attempts}` : ''}</div>
                    </td>
                    <td class="num">
                      {ms(e.health?.p50Ms)} / {ms(e.health?.p99Ms)}
                    </td>
                    <td class="error-cell small">{e.health?.lastError ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Gate>
      <h2>Event types</h2>
      <Gate loaded={types}>
        {(t) => (
          <table>
            <caption class="visually-hidden">Every event an endpoint can subscribe to</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col" class="num">
                  Version
                </th>
                <th scope="col">Meaning</th>
              </tr>
            </thead>
            <tbody>
              {t.items.map((e) => (
                <tr key={e.type}>
                  <td class="mono">{e.type}</td>
                  <td class="num">{e.version}</td>
                  <td>{e.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Gate>
    </>
  );
}

function CreateEndpoint({ types, onCreated }: { types: EventType[]; onCreated: (e: Endpoint & { secret: string }) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(['*']);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (type: string, on: boolean) =>
    setEvents(on ? [...events.filter((e) => e !== type), type] : events.filter((e) => e !== type));
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<Endpoint & { secret: string }>('POST', '/v1/webhooks/endpoints', {
        body: { url: url.trim(), events, ...(description.trim() ? { description: description.trim() } : {}) },
      });
      setUrl('');
      setDescription('');
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
        <label class="grow">
          Endpoint URL
          <input
            type="url"
            required
            maxLength={2048}
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            placeholder="https://example.com/hooks"
          />
        </label>
        <label class="grow">
          Description
          <input maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
      </div>
      <fieldset>
        <legend>Events</legend>
        <div class="checks">
          <label>
            <input type="checkbox" checked={events.includes('*')} onChange={(e) => toggle('*', e.currentTarget.checked)} />
            Every event (*)
          </label>
          {types.map((t) => (
            <label key={t.type}>
              <input type="checkbox" checked={events.includes(t.type)} onChange={(e) => toggle(t.type, e.currentTarget.checked)} />
              {t.type}
            </label>
          ))}
        </div>
      </fieldset>
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy || events.length === 0}>
        {busy ? 'Adding…' : 'Add endpoint'}
      </button>
    </form>
  );
}
