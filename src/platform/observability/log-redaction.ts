/**
 * What no log line may show, by the name it is logged under: a key matching this, at any depth of a plain
 * object or array logged, has its value replaced (a number, boolean or null stays: a count of tokens is
 * not a token).
 */
export const SECRET_NAME = /secret|token|passw|authorization|cookie|card|api[-_]?key|credential|private[-_]?key/i;

/** Names that match SECRET_NAME but are printed on purpose: the demo shop's sample accounts (main.ts). */
const PRINTED_ON_PURPOSE = new Set(['demoPassword', 'demoAdminPassword']);

export const CENSORED = '[redacted]';

// Deeper than any line the code writes; a deeper value is left as it is rather than walked for ever.
const MAX_DEPTH = 6;

// Lines use few distinct field names: each is judged once (a map lookup costs a fraction of the regex).
// Bounded, in case names are data (ids as keys): past it, names are judged by the regex each time.
const judged = new Map<string, boolean>();
const MAX_JUDGED = 10_000;

function secretNamed(key: string): boolean {
  let secret = judged.get(key);
  if (secret === undefined) {
    secret = SECRET_NAME.test(key) && !PRINTED_ON_PURPOSE.has(key);
    if (judged.size < MAX_JUDGED) judged.set(key, secret);
  }
  return secret;
}

/**
 * `value` with every secret-named field censored, copied only where something was censored (a line with
 * nothing to hide is not copied). Only plain objects and arrays are walked: an Error, a request, a Buffer
 * go to their serializers untouched, so a line costs a key test per field, not a walk of a Fastify request.
 */
export function censorSecrets<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const next = censorSecrets(value[i] as unknown, depth + 1);
      if (next !== value[i]) (copy ??= value.slice())[i] = next;
    }
    return (copy ?? value) as T;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const fields = value as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const key in fields) {
    const field = fields[key];
    let next = field;
    if (secretNamed(key)) {
      if (field !== null && field !== undefined && typeof field !== 'number' && typeof field !== 'boolean') next = CENSORED;
    } else if (field !== null && typeof field === 'object') next = censorSecrets(field, depth + 1);
    if (next !== field) (copy ??= { ...fields })[key] = next;
  }
  return (copy ?? value) as T;
}
