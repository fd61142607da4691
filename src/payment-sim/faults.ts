import { Type, type Static } from 'typebox';

export const FaultsSchema = Type.Object(
  {
    failureRate: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'share of API calls answered 500 without doing anything' }),
    ),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'added before every API call is handled' })),
    hang: Type.Optional(Type.Boolean({ description: 'API calls are never answered' })),
    loseResponses: Type.Optional(
      Type.Boolean({ description: 'charges and refunds are made, then the connection is dropped before the answer' }),
    ),
    down: Type.Optional(Type.Boolean({ description: 'every API call has its connection reset at once' })),
  },
  { additionalProperties: false },
);

export type Faults = Static<typeof FaultsSchema>;

/** What the simulator was asked to do wrong, and what it saw: the tests' window onto the outside world. */
export interface SimStats {
  requests: number;
  charges: number;
  lookups: number;
  refunds: number;
  inFlight: number;
  peakInFlight: number;
  /** API calls whose caller gave up (closed the connection) before an answer, and how long each had waited. */
  abandoned: { count: number; minMs: number | null; maxMs: number | null };
}

export function emptyStats(inFlight = 0): SimStats {
  return {
    requests: 0,
    charges: 0,
    lookups: 0,
    refunds: 0,
    inFlight,
    peakInFlight: inFlight,
    abandoned: { count: 0, minMs: null, maxMs: null },
  };
}

export function recordAbandoned(stats: SimStats, waitedMs: number): void {
  const a = stats.abandoned;
  a.count += 1;
  a.minMs = a.minMs === null ? waitedMs : Math.min(a.minMs, waitedMs);
  a.maxMs = a.maxMs === null ? waitedMs : Math.max(a.maxMs, waitedMs);
}
