import { api } from '../api.js';
import { Empty, Fact, Gate, Status, useLoad } from '../components/common.js';
import { breakerState, time } from '../format.js';
import type { Breaker, Edge } from '../types.js';

/** The shop's defences: circuit breakers on outbound calls, rate-limit classes, and load shedding. */
export function EdgePage() {
  const edge = useLoad('edge', (signal) => api<Edge>('GET', '/v1/admin/edge', { signal }), 5000);
  const breakers = useLoad('breakers', (signal) => api<{ items: Breaker[] }>('GET', '/v1/admin/breakers', { signal }), 5000);
  return (
    <>
      <h1>Provider &amp; edge</h1>
      <section aria-labelledby="breakers">
        <h2 id="breakers">Circuit breakers</h2>
        <Gate loaded={breakers}>
          {(b) =>
            b.items.length === 0 ? (
              <Empty>No breakers.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Dependency</th>
                    <th scope="col">State</th>
                    <th scope="col">Since (UTC)</th>
                    <th scope="col">Last failure</th>
                    <th scope="col" class="num">
                      Executing
                    </th>
                    <th scope="col" class="num">
                      Queued
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {b.items.map((x) => (
                    <tr key={x.name}>
                      <td>{x.name}</td>
                      <td>
                        <Status value={breakerState(x.state)} />
                      </td>
                      <td class="mono">{time(x.since)}</td>
                      <td class="error-cell small">{x.lastFailure ?? '—'}</td>
                      <td class="num">{x.bulkhead?.executing ?? '—'}</td>
                      <td class="num">{x.bulkhead?.queued ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Gate>
      </section>
      <Gate loaded={edge}>
        {(e) => (
          <div class="columns">
            <section aria-labelledby="rate-limits">
              <h2 id="rate-limits">
                Rate limits <Status value={e.rateLimits.enabled ? 'enabled' : 'disabled'} />
              </h2>
              {e.rateLimits.classes.length === 0 ? (
                <Empty>No rate-limit classes.</Empty>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Class</th>
                      <th scope="col" class="num">
                        Quota
                      </th>
                      <th scope="col" class="num">
                        Window
                      </th>
                      <th scope="col">Counted per</th>
                    </tr>
                  </thead>
                  <tbody>
                    {e.rateLimits.classes.map((c) => (
                      <tr key={c.name}>
                        <td>{c.name}</td>
                        <td class="num">{c.quota}</td>
                        <td class="num">{c.windowSeconds} s</td>
                        <td>{c.scope}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section aria-labelledby="shedding">
              <h2 id="shedding">Load shedding</h2>
              <dl class="facts">
                {Object.entries(e.loadShedding).map(([key, value]) => (
                  <Fact key={key} label={words(key)}>
                    {shown(value)}
                  </Fact>
                ))}
              </dl>
            </section>
          </div>
        )}
      </Gate>
    </>
  );
}

/** A state value in words: a list joined, a record as `key n` pairs, nothing as "none". */
function shown(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(String).join(', ');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(' · ');
  return String(value);
}

/** `inFlight` → "In flight": the shedder's field names as labels. */
const words = (key: string) => {
  const spaced = key.replace(/([A-Z])/g, ' $1').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
};
