import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ActionButton, ConfirmButton, Empty, Gate, Json, Pager, useLoad } from '../components/common.js';
import { time } from '../format.js';
import { navigate, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import type { DeadLetter, Page } from '../types.js';

/** Messages that ran out of retries: what failed and why, and the way to send them to their group again. */
export function DeadLettersPage() {
  const here = useStore(place);
  const group = here.query.get('group') ?? '';
  const type = here.query.get('type') ?? '';
  const cursor = here.query.get('cursor') ?? '';
  const [done, setDone] = useState<string | null>(null);
  const search = query({ limit: 25, group, type, cursor });
  const letters = useLoad(search, (signal) => api<Page<DeadLetter>>('GET', `/v1/admin/dlq${search}`, { signal }));
  const go = (next: Record<string, string>) => navigate(`/admin/dead-letters${query({ group, type, cursor, ...next })}`);
  const filter = { ...(group ? { group } : {}), ...(type ? { type } : {}) };
  const described =
    group || type ? `every dead letter${group ? ` of group ${group}` : ''}${type ? ` of type ${type}` : ''}` : 'every dead letter';

  return (
    <>
      <div class="title-row">
        <h1>Dead letters</h1>
        <ConfirmButton
          label="Redrive all matching"
          title="Redrive all matching dead letters?"
          confirmLabel="Redrive them all"
          onConfirm={async () => {
            const result = await api<{ redriven: number }>('POST', '/v1/admin/dlq/redrive', { body: filter });
            setDone(`${result.redriven} dead ${result.redriven === 1 ? 'letter' : 'letters'} sent to their groups again.`);
            letters.reload();
          }}
        >
          <p>
            This sends {described} to its consumer group again, each with a fresh retry budget. Fix the cause first (a provider that is
            down, a fault switch left on), or they come back here.
          </p>
        </ConfirmButton>
      </div>
      <FilterForm group={group} type={type} onApply={(g, t) => go({ group: g, type: t, cursor: '' })} />
      {done ? (
        <p class="ok-text" role="status">
          {done}
        </p>
      ) : null}
      <Gate loaded={letters}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No dead letters{group || type ? ' match this filter' : ''}. Every message was handled.</Empty>
          ) : (
            <>
              <table>
                <caption class="visually-hidden">Dead letters, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Died (UTC)</th>
                    <th scope="col">Group</th>
                    <th scope="col">Type</th>
                    <th scope="col" class="num">
                      Attempts
                    </th>
                    <th scope="col">Error</th>
                    <th scope="col">Payload</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((l) => (
                    <tr key={l.id}>
                      <td class="mono">{time(l.deadAt)}</td>
                      <td>{l.group}</td>
                      <td>{l.type}</td>
                      <td class="num">{l.attempts}</td>
                      <td class="error-cell">{l.error ?? '—'}</td>
                      <td>
                        <details>
                          <summary>
                            Message <span class="mono">{l.key}</span>
                          </summary>
                          <Json value={l.data} label={`Payload of dead letter ${l.id}`} />
                        </details>
                      </td>
                      <td>
                        <ActionButton
                          label="Redrive"
                          describedBy={`dl-${l.id}`}
                          onClick={async () => {
                            await api('POST', `/v1/admin/dlq/${encodeURIComponent(l.id)}/redrive`);
                            setDone(`Dead letter ${l.type} sent to ${l.group} again.`);
                            letters.reload();
                          }}
                        />
                        <span id={`dl-${l.id}`} class="visually-hidden">
                          {l.type} for {l.group}
                        </span>
                      </td>
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

function FilterForm({ group, type, onApply }: { group: string; type: string; onApply: (group: string, type: string) => void }) {
  const [g, setG] = useState(group);
  const [t, setT] = useState(type);
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(g.trim(), t.trim());
      }}
    >
      <label>
        Group
        <input value={g} maxLength={200} onInput={(e) => setG(e.currentTarget.value)} placeholder="notifications.sms" />
      </label>
      <label>
        Type
        <input value={t} maxLength={200} onInput={(e) => setT(e.currentTarget.value)} placeholder="notification.sms" />
      </label>
      <button type="submit" class="primary">
        Apply filter
      </button>
      <button
        type="button"
        onClick={() => {
          setG('');
          setT('');
          onApply('', '');
        }}
      >
        Clear
      </button>
    </form>
  );
}
