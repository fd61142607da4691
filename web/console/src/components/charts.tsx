// Charts in plain SVG: a handful of shapes, drawn from numbers the summary already holds, need no library.
// Each chart is one role="img" with a text alternative that states what it shows.

export interface Series {
  name: string;
  tone: string;
  values: number[];
}

const W = 560;
const H = 180;
const PAD = { left: 34, right: 8, top: 10, bottom: 22 };

/** A round number at or above the largest value, so the axis reads 0, n/2, n. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

/** Lines over time (orders per minute by outcome), with a legend and labelled axes. */
export function LineChart({ series, labels, label }: { series: Series[]; labels: string[]; label: string }) {
  const count = labels.length;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i: number) => PAD.left + (count <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (count - 1));
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const ticks = [0, max / 2, max];
  const every = Math.max(1, Math.ceil(count / 6));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {ticks.map((t) => (
          <g key={t}>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text class="tick" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {Number.isInteger(t) ? t : t.toFixed(1)}
            </text>
          </g>
        ))}
        {labels.map((l, i) =>
          i % every === 0 || i === count - 1 ? (
            <text key={l} class="tick" x={x(i)} y={H - 6} text-anchor={i === 0 ? 'start' : i === count - 1 ? 'end' : 'middle'}>
              {l}
            </text>
          ) : null,
        )}
        {series.map((s) => (
          <polyline key={s.name} class={`line ${s.tone}`} points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
        ))}
      </svg>
      <Legend series={series.map((s) => ({ name: `${s.name} (${s.values.reduce((a, b) => a + b, 0)})`, tone: s.tone }))} />
    </figure>
  );
}

export function Legend({ series }: { series: { name: string; tone: string }[] }) {
  return (
    <figcaption class="legend">
      {series.map((s) => (
        <span key={s.name}>
          <i class={`swatch ${s.tone}`} aria-hidden="true" />
          {s.name}
        </span>
      ))}
    </figcaption>
  );
}

export interface BarRow {
  label: string;
  values: { name: string; tone: string; value: number | null }[];
  note?: string;
}

/** Horizontal bars, one group per row (latency p50/p99 per route, backlog per group). */
export function BarChart({ rows, label, unit }: { rows: BarRow[]; label: string; unit: (v: number | null) => string }) {
  const max = niceMax(Math.max(0, ...rows.flatMap((r) => r.values.map((v) => v.value ?? 0))));
  const barH = 9;
  const rowH = rows[0] ? rows[0].values.length * (barH + 2) + 12 : 20;
  const left = 170;
  const right = 80;
  const height = Math.max(30, rows.length * rowH + 6);
  const width = (v: number | null) => ((v ?? 0) / max) * (W - left - right);
  const tones = rows[0]?.values ?? [];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-label={label}>
        {rows.map((r, i) => (
          <g key={r.label} transform={`translate(0 ${i * rowH + 4})`}>
            <text class="row-label" x={left - 8} y={rowH / 2} text-anchor="end">
              {r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label}
            </text>
            {r.values.map((v, j) => (
              <g key={v.name} transform={`translate(${left} ${j * (barH + 2)})`}>
                <rect class={`bar ${v.tone}`} width={Math.max(v.value ? 2 : 0, width(v.value))} height={barH} rx={2} />
                <text class="value" x={width(v.value) + 6} y={barH - 1}>
                  {unit(v.value)}
                </text>
              </g>
            ))}
            {r.note ? (
              <text class="note" x={W - 4} y={rowH / 2} text-anchor="end">
                {r.note}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      {tones.length > 1 ? <Legend series={tones.map((t) => ({ name: t.name, tone: t.tone }))} /> : null}
    </figure>
  );
}

/** A ratio as a ring with its percentage in the middle (webhook success, cache hits). */
export function Ring({ ratio, label, detail }: { ratio: number | null; label: string; detail: string }) {
  const r = 38;
  const c = 2 * Math.PI * r;
  const tone = ratio === null ? 'muted' : ratio >= 0.95 ? 'ok' : ratio >= 0.8 ? 'warn' : 'bad';
  const text = ratio === null ? 'no data' : `${(ratio * 100).toFixed(ratio >= 0.999 || ratio === 0 ? 0 : 1)} %`;
  return (
    <figure class="ring">
      <svg viewBox="0 0 100 100" role="img" aria-label={`${label}: ${text}, ${detail}`}>
        <circle class="ring-track" cx="50" cy="50" r={r} />
        {ratio !== null ? (
          <circle class={`ring-value ${tone}`} cx="50" cy="50" r={r} stroke-dasharray={`${c * ratio} ${c}`} transform="rotate(-90 50 50)" />
        ) : null}
        <text x="50" y="55" text-anchor="middle" class="ring-text">
          {text}
        </text>
      </svg>
      <figcaption>
        <strong>{label}</strong>
        <span class="muted">{detail}</span>
      </figcaption>
    </figure>
  );
}

/** A small trend line (dead letters over the polls this page has seen). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 160;
  const h = 36;
  const max = Math.max(1, ...values);
  // One refresh is one point, which draws nothing: it is the level so far, drawn flat.
  const series = values.length === 1 ? [values[0]!, values[0]!] : values;
  const step = series.length > 1 ? w / (series.length - 1) : 0;
  const points = series.map((v, i) => `${i * step},${h - 2 - (v / max) * (h - 4)}`).join(' ');
  return (
    <svg class="spark" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <polyline class="line bad" points={points} />
    </svg>
  );
}
