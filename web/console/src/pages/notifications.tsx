import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { Empty, Gate, Problem, Status, useLoad } from '../components/common.js';
import { time } from '../format.js';
import type { Page, SandboxMessage } from '../types.js';

interface Faults {
  failNext: number;
  down: boolean;
}

/** What the shop sent: the embedded mailbox, the SMS and push sandboxes, and the switches that make them fail. */
export function NotificationsPage() {
  return (
    <>
      <h1>Notifications</h1>
      <div class="columns">
        <FaultSwitches channel="sms" name="SMS" />
        <FaultSwitches channel="push" name="Push" />
      </div>
      <Outbox title="Mailbox (email)" path="/v1/admin/mailbox" id="mailbox" />
      <Outbox title="SMS sandbox" path="/v1/admin/sandbox/sms" id="sms" />
      <Outbox title="Push sandbox" path="/v1/admin/sandbox/push" id="push" />
    </>
  );
}

function FaultSwitches({ channel, name }: { channel: string; name: string }) {
  const path = `/v1/admin/sandbox/${channel}/faults`;
  const current = useLoad(`faults-${channel}`, (signal) => api<Faults>('GET', path, { signal }));
  const [failNext, setFailNext] = useState('1');
  const [error, setError] = useState<unknown>(null);
  const change = async (body: Partial<Faults>) => {
    setError(null);
    try {
      await api<Faults>('PUT', path, { body });
      current.reload();
    } catch (e) {
      setError(e);
    }
  };
  const headingId = `faults-${channel}`;
  return (
    <section class="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{name} sandbox faults</h2>
      <Gate loaded={current}>
        {(f) => (
          <>
            <p>
              <Status value={f.down ? 'down' : 'up'} /> {f.down ? 'Every send fails while down.' : 'Sends go through.'}{' '}
              {f.failNext > 0 ? `The next ${f.failNext} ${f.failNext === 1 ? 'send fails' : 'sends fail'}.` : ''}
            </p>
            <div class="row">
              <button type="button" onClick={() => change({ down: !f.down })}>
                {f.down ? `Bring ${name} back up` : `Take ${name} down`}
              </button>
              <form
                class="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  change({ failNext: Number.parseInt(failNext, 10) });
                }}
              >
                <label>
                  Fail the next sends
                  <input type="number" min="0" max="1000" required value={failNext} onInput={(e) => setFailNext(e.currentTarget.value)} />
                </label>
                <button type="submit">Set failures</button>
              </form>
            </div>
          </>
        )}
      </Gate>
      <Problem error={error} />
      <p class="muted small">The switches live in the process that answers; a cluster's other processes keep their own.</p>
    </section>
  );
}

function Outbox({ title, path, id }: { title: string; path: string; id: string }) {
  const [to, setTo] = useState('');
  const [filter, setFilter] = useState('');
  const [cursor, setCursor] = useState('');
  const messages = useLoad(`${id}-${filter}-${cursor}`, (signal) =>
    api<Page<SandboxMessage>>('GET', `${path}${query({ limit: 10, to: filter, cursor })}`, { signal }),
  );
  return (
    <section aria-labelledby={`outbox-${id}`}>
      <h2 id={`outbox-${id}`}>{title}</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setCursor('');
          setFilter(to.trim());
        }}
      >
        <label>
          Recipient
          <input value={to} maxLength={254} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="submit">Filter {title.toLowerCase()}</button>
        <button type="button" onClick={() => messages.reload()}>
          Refresh {title.toLowerCase()}
        </button>
      </form>
      <Gate loaded={messages}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>Nothing sent{filter ? ` to ${filter}` : ''}.</Empty>
          ) : (
            <>
              <table>
                <caption class="visually-hidden">{title}, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Sent (UTC)</th>
                    <th scope="col">To</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Text</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((m) => (
                    <tr key={m.id}>
                      <td class="mono">{time(m.createdAt)}</td>
                      <td>{m.to}</td>
                      <td>{m.subject}</td>
                      <td class="small">
                        <details>
                          <summary>
                            {m.text.slice(0, 60)}
                            {m.text.length > 60 ? '…' : ''}
                          </summary>
                          <pre class="text">{m.text}</pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="pager">
                <button type="button" disabled={cursor === ''} onClick={() => setCursor('')}>
                  Newest
                </button>
                <button type="button" disabled={page.nextCursor === null} onClick={() => page.nextCursor && setCursor(page.nextCursor)}>
                  Older
                </button>
              </div>
            </>
          )
        }
      </Gate>
    </section>
  );
}
