import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ActionButton, ConfirmButton, Empty, Fact, Gate, Status, useLoad } from '../components/common.js';
import { SecretOnce } from '../components/secret.js';
import { ms, percent, time } from '../format.js';
import { Link, navigate } from '../../../shared/router.js';
import type { Delivery, Endpoint, Page } from '../types.js';

const REASONS: Record<string, string> = {
  gone: 'the receiver answered 410 Gone',
  failing: 'deliveries kept failing',
  manual: 'an operator disabled it',
};

/** One endpoint: its health, the actions on it, and every delivery attempt with what was sent and answered. */
export function WebhookPage({ id }: { id: string }) {
  const path = `/v1/webhooks/endpoints/${encodeURIComponent(id)}`;
  const endpoint = useLoad(`endpoint-${id}`, (signal) => api<Endpoint>('GET', path, { signal }), 5000);
  const [cursor, setCursor] = useState('');
  const deliveries = useLoad(
    `deliveries-${id}-${cursor}`,
    (signal) => api<Page<Delivery>>('GET', `${path}/deliveries${query({ limit: 25, cursor })}`, { signal }),
    5000,
  );
  const [secret, setSecret] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    endpoint.reload();
    deliveries.reload();
  };

  return (
    <>
      <p class="crumbs">
        <Link href="/admin/webhooks">Webhooks</Link> /
      </p>
      <Gate loaded={endpoint}>
        {(e) => (
          <>
            <div class="title-row">
              <h1 class="mono">{e.url}</h1>
              <div class="actions">
                <ActionButton
                  label="Send test event"
                  onClick={async () => {
                    const sent = await api<{ messageId: string }>('POST', `${path}/test`);
                    setNotice(`Test event ${sent.messageId} queued; its attempt shows below.`);
                    deliveries.reload();
                  }}
                />
                <ActionButton
                  label={e.disabled ? 'Enable' : 'Disable'}
                  onClick={async () => {
                    await api('PATCH', path, { body: { disabled: !e.disabled } });
                    setNotice(e.disabled ? 'Enabled: waiting deliveries go out now.' : 'Disabled: deliveries wait until it is enabled.');
                    refresh();
                  }}
                />
                <ConfirmButton
                  label="Rotate secret"
                  title="Rotate the signing secret?"
                  confirmLabel="Rotate"
                  onConfirm={async () => {
                    const rotated = await api<{ secret: string }>('POST', `${path}/rotate-secret`);
                    setSecret(rotated.secret);
                  }}
                >
                  <p>
                    A new secret signs every delivery from now on; the old one keeps signing beside it for 24 hours, so the receiver can
                    switch.
                  </p>
                </ConfirmButton>
                <ConfirmButton
                  label="Delete endpoint"
                  title="Delete this endpoint?"
                  confirmLabel="Delete"
                  danger
                  onConfirm={async () => {
                    await api('DELETE', path);
                    navigate('/admin/webhooks');
                  }}
                >
                  <p>
                    <span class="mono">{e.url}</span> stops receiving events, and deliveries waiting for it are dropped. This cannot be
                    undone.
                  </p>
                </ConfirmButton>
              </div>
            </div>
            {secret ? <SecretOnce secret={secret} what="The new signing secret:" /> : null}
            {notice ? (
              <p class="ok-text" role="status">
                {notice}
              </p>
            ) : null}
            <dl class="facts">
              <Fact label="State">
                <Status value={e.disabled ? 'disabled' : 'enabled'} />
                {e.disabledReason ? ` because ${REASONS[e.disabledReason] ?? e.disabledReason}` : ''}
              </Fact>
              <Fact label="Events">{e.events.join(', ')}</Fact>
              <Fact label="Success (24 h)">
                {percent(e.health?.successRatio)} {e.health ? `(${e.health.succeeded} of ${e.health.attempts})` : ''}
              </Fact>
              <Fact label="Latency p50 / p99">
                {ms(e.health?.p50Ms)} / {ms(e.health?.p99Ms)}
              </Fact>
              <Fact label="Last attempt">{time(e.health?.lastAttemptAt)}</Fact>
              <Fact label="Last error">{e.health?.lastError ?? '—'}</Fact>
            </dl>
          </>
        )}
      </Gate>
      <h2>Delivery attempts</h2>
      <Gate loaded={deliveries}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No delivery attempts yet.</Empty>
          ) : (
            <>
              <table class="deliveries">
                <caption class="visually-hidden">Delivery attempts to this endpoint, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">At (UTC)</th>
                    <th scope="col">Event</th>
                    <th scope="col" class="num">
                      Attempt
                    </th>
                    <th scope="col">Outcome</th>
                    <th scope="col" class="num">
                      Response
                    </th>
                    <th scope="col" class="num">
                      Time
                    </th>
                    <th scope="col">Details</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((d) => (
                    <tr key={d.id}>
                      <td class="mono">{time(d.at)}</td>
                      <td>
                        {d.eventType}
                        <div class="mono small muted">{d.messageId}</div>
                      </td>
                      <td class="num">{d.attempt}</td>
                      <td>
                        <Status value={d.status} />
                      </td>
                      <td class="num">{d.responseStatus ?? '—'}</td>
                      <td class="num">{ms(d.durationMs)}</td>
                      <td>
                        {d.error ? <div class="error-cell small">{d.error}</div> : null}
                        <details>
                          <summary>Request and response</summary>
                          <AttemptDetail d={d} />
                        </details>
                      </td>
                      <td>
                        <ActionButton
                          label="Replay"
                          describedBy={`msg-${d.id}`}
                          onClick={async () => {
                            const replay = await api<{ deliveries: number }>(
                              'POST',
                              `/v1/webhooks/messages/${encodeURIComponent(d.messageId)}/replay`,
                            );
                            setNotice(
                              `Message ${d.messageId} replayed to ${replay.deliveries} ${replay.deliveries === 1 ? 'endpoint' : 'endpoints'}.`,
                            );
                            deliveries.reload();
                          }}
                        />
                        <span id={`msg-${d.id}`} class="visually-hidden">
                          {d.eventType} {d.messageId}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="pager">
                <button type="button" disabled={cursor === ''} onClick={() => setCursor('')}>
                  Newest attempts
                </button>
                <button type="button" disabled={page.nextCursor === null} onClick={() => page.nextCursor && setCursor(page.nextCursor)}>
                  Next page
                </button>
              </div>
            </>
          )
        }
      </Gate>
    </>
  );
}

function AttemptDetail({ d }: { d: Delivery }) {
  return (
    <div class="attempt">
      <h3 class="small">Request headers</h3>
      {d.requestHeaders ? (
        <table class="kv">
          <tbody>
            {Object.entries(d.requestHeaders).map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td class="mono small">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted small">Not recorded.</p>
      )}
      <h3 class="small">Response body (excerpt)</h3>
      {d.responseBody ? (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard to be read
        <pre class="json" tabIndex={0}>
          {d.responseBody}
        </pre>
      ) : (
        <p class="muted small">None.</p>
      )}
    </div>
  );
}
