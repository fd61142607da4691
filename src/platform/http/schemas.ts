import { Type, type Static, type TSchema } from 'typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'stable snake_case error code' }),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    requestId: Type.String(),
  },
  { $id: 'Problem', description: 'application/problem+json (RFC 9457)' },
);

export const ProblemRef = Type.Ref('Problem');

export const MoneySchema = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: 100_000_000_00, description: 'integer minor units' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
  },
  { additionalProperties: false },
);
export type Money = Static<typeof MoneySchema>;

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Documented problem responses for a route: pass the statuses it can answer with. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemRef]));
}

export const NoContent = Type.Null({ description: 'No content' });
