import { useRef } from 'preact/hooks';
import { api } from '../api.js';
import { BarChart, LineChart, Ring, Sparkline } from '../components/charts.js';
import { Gate, Status, useLoad } from '../components/common.js';
import { age, breakerState, ms, shortTime, time } from '../format.js';
import { Link } from '../../../shared/router.js';
import { ORDER_STATUSES, type Summary } from '../types.js';

const POLL_MS = 5000;
const TREND_POINTS = 60;

/** The state of the shop at a glance, refreshed every 5 s from GET /v1/admin/summary. */
export function OverviewPage() {
  const summary = useLoad('summary', (signal) => api<Summary>('GET', '/v1/admin/summary', { signal }), POLL_MS);
  // Dead letters over the polls this page has seen: a count that grows is the alarm, not the count itself.
  const trend = useRef<{ at: string; count: number }[]>([]);
  const latest = summary.value;
  if (latest && trend.current.at(-1)?.at !== latest.generatedAt) {
    trend.current = [...trend.current, { at: latest.generatedAt, count: latest.deadLetters.count }].slice(-TREND_POINTS);
  }
  return (
    <>
      <div class="title-row">
        <h1>Overview</h1>
        <p class="muted small" aria-live="off">
          {latest ? `Updated ${time(latest.generatedAt)} UTC · every 5 s` : ''}
        </p>
      </div>
      <Gate loaded={summary}>{(s) => <Dashboard s={s} deadTrend={trend.current.map((t) => t.count)} />}</Gate>
    </>
  );
}

function Dashboard({ s, deadTrend }: { s: Summary; deadTrend: number[] }) {
  const minutes = s.orders.perMinute;
  const payment = s.breakers.filter((b) => b.name.includes('payment'));
  const otherBreakers = s.breakers.filter((b) => !b.name.includes('payment'));
  return (
    <div class="dashboard">
      <section class="panel wide" aria-labelledby="orders-per-minute">
        <h2 id="orders-per-minute">Orders per minute, last 30 minutes</h2>
        <LineChart
          label={`Orders per minute over the last 30 minutes: ${sum(minutes.map((m) => m.placed))} placed, ${sum(minutes.map((m) => m.confirmed))} confirmed, ${sum(minutes.map((m) => m.cancelled))} cancelled`}
          labels={minutes.map((m) => shortTime(m.minute))}
          series={[
            { name: 'Placed', tone: 'info', values: minutes.map((m) => m.placed) },
            { name: 'Confirmed', tone: 'ok', values: minutes.map((m) => m.confirmed) },
            { name: 'Cancelled', tone: 'bad', values: minutes.map((m) => m.cancelled) },
          ]}
        />
        <ul class="counts" aria-label="Orders by status">
          {ORDER_STATUSES.map((status) => (
            <li key={status}>
              <Link href={`/admin/orders?status=${status}`}>
                <strong>{s.orders.byStatus[status] ?? 0}</strong> {status}
              </Link>
            </li>
          ))}
        </ul>
      </section>

      <section class="panel" aria-labelledby="breaker-state">
        <h2 id="breaker-state">Payment provider</h2>
        {payment.length === 0 ? <p class="muted">No payment breaker reported.</p> : null}
        {payment.map((b) => (
          <p key={b.name} class="big-state">
            <Status value={breakerState(b.state)} /> <span class="muted">{b.name}</span>
          </p>
        ))}
        {otherBreakers.length > 0 ? (
          <ul class="plain">
            {otherBreakers.map((b) => (
              <li key={b.name}>
                <Status value={breakerState(b.state)} /> {b.name}
              </li>
            ))}
          </ul>
        ) : null}
        <Link href="/admin/edge">Provider &amp; edge details</Link>
      </section>

      <section class="panel" aria-labelledby="dead-letters">
        <h2 id="dead-letters">Dead letters</h2>
        <p class="big-number">
          <Link href="/admin/dead-letters" aria-label={`${s.deadLetters.count} dead letters: open the list`}>
            {s.deadLetters.count}
          </Link>
        </p>
        <p class="muted small">Messages that ran out of retries, waiting for a redrive. Trend since this page opened:</p>
        <Sparkline values={deadTrend} label={`Dead letters over the last ${deadTrend.length} refreshes, now ${s.deadLetters.count}`} />
      </section>

      <section class="panel mid" aria-labelledby="ratios">
        <h2 id="ratios">Webhooks and cache</h2>
        <div class="rings">
          <Ring
            ratio={s.webhooks.successRatio}
            label="Webhook success, last hour"
            detail={`${s.webhooks.succeeded} of ${s.webhooks.attempts} attempts`}
          />
          <Ring ratio={s.cache.hitRatio} label="Cache hit ratio" detail={`${s.cache.hits} hits, ${s.cache.misses} misses`} />
        </div>
      </section>

      <section class="panel wide" aria-labelledby="latency">
        <h2 id="latency">Latency of the main routes, last 5 minutes</h2>
        {s.latency.every((r) => r.count === 0) ? <p class="muted">No requests to these routes in the last 5 minutes.</p> : null}
        <BarChart
          label={`Latency per route: ${s.latency.map((r) => `${r.route} p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}`).join('; ')}`}
          unit={ms}
          rows={s.latency.map((r) => ({
            label: r.route,
            note: `${r.count} req`,
            values: [
              { name: 'p50', tone: 'info', value: r.p50Ms },
              { name: 'p99', tone: 'warn', value: r.p99Ms },
            ],
          }))}
        />
      </section>

      <section class="panel wide" aria-labelledby="backlog">
        <h2 id="backlog">Message backlog and lag per consumer group</h2>
        {s.messaging.groups.length === 0 ? (
          <p class="muted">No consumer groups reported.</p>
        ) : (
          <BarChart
            label={`Backlog per consumer group: ${s.messaging.groups.map((g) => `${g.group} ${g.backlog} waiting, oldest ${age(g.oldestAgeSeconds)}`).join('; ')}`}
            unit={(v) => String(v ?? 0)}
            rows={s.messaging.groups.map((g) => ({
              label: g.group,
              note: g.oldestAgeSeconds === null ? 'no lag' : `lag ${age(g.oldestAgeSeconds)}`,
              values: [{ name: 'backlog', tone: g.backlog > 0 ? 'warn' : 'ok', value: g.backlog }],
            }))}
          />
        )}
      </section>
    </div>
  );
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
