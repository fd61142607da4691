import type { Money } from './types.js';

const formatters = new Map<string, Intl.NumberFormat>();

export function money(value: Money): string {
  let formatter = formatters.get(value.currency);
  if (!formatter)
    formatters.set(value.currency, (formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency: value.currency })));
  return formatter.format(value.amount / 100);
}

/** Operators compare times across pages and logs: one fixed, second-precise form in UTC. */
export const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '—');

export const shortTime = (iso: string) => iso.slice(11, 16);

export const percent = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`;

export const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;

export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '—';
  return ms(new Date(to).getTime() - new Date(from).getTime());
}

export function age(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** An id where space is short: ids are time-ordered, so their tail, not their head, tells them apart. */
export const shortId = (id: string) => `…${id.slice(-8)}`;

/** Breaker state names as the routes spell them (half_open, half-open) in one form. */
export const breakerState = (state: string) => state.replace(/[_-]/g, ' ');
