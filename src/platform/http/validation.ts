import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

const shared: Options = { useDefaults: true, removeAdditional: true, allErrors: true };

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...shared, ...options });
  addFormats.default(ajv);
  return ajv;
}

/**
 * The first value no store can take as given, with where it is: a number that is not finite, or text with
 * a NUL (PostgreSQL refuses it in text, so `/v1/shipments/%00` reached the database as a 500).
 */
function unstorable(data: unknown, at = ''): { at: string; message: string } | null {
  if (typeof data === 'string') return data.includes('\u0000') ? { at, message: 'must not contain a NUL character' } : null;
  if (typeof data === 'number') return Number.isFinite(data) ? null : { at, message: 'must be a finite number' };
  if (data === null || typeof data !== 'object') return null;
  for (const [key, value] of Object.entries(data)) {
    const found = unstorable(value, `${at}/${key}`);
    if (found) return found;
  }
  return null;
}

/**
 * Ajv judges shapes, not these: it coerces the text "Infinity" (and "1e309") to a number that passes
 * `integer` and skips `minimum` and `maximum` (`?limit=Infinity` reached SQL as LIMIT Infinity), and a NUL
 * is a valid character to it. One pass over what Ajv accepted refuses both.
 */
function storableOnly(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown, context?: object) => {
    if (!validate(data, context as never)) {
      checked.errors = validate.errors;
      return false;
    }
    const found = unstorable(data);
    const error: ErrorObject[] | null =
      found === null ? null : [{ instancePath: found.at, schemaPath: '#', keyword: 'type', params: {}, message: found.message }];
    checked.errors = error;
    return error === null;
  }) as ValidateFunction;
  checked.schemaEnv = validate.schemaEnv;
  return checked;
}

/**
 * A copy of a body schema in which every object that lists its properties admits no others (unless it says
 * so): with removeAdditional, an unknown key is dropped before the handler runs. Without this, a key no
 * route expects rode a spread into the service: `userId` in an order's body placed it in another
 * customer's name, and any key in a product patch became a column name in SQL. Branches of anyOf/oneOf are
 * left open, since Ajv would strip what a later branch accepts.
 */
const LITERAL_KEYS = new Set(['anyOf', 'oneOf', 'const', 'enum', 'default', 'examples']);

export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const node = schema as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value !== null && typeof value === 'object') {
      copy[key] = Object.fromEntries(Object.entries(value).map(([name, field]) => [name, closeObjects(field)]));
    } else copy[key] = LITERAL_KEYS.has(key) ? value : closeObjects(value);
  }
  const lists = node.properties !== undefined && typeof node.properties === 'object';
  if (lists && node.additionalProperties === undefined && node.patternProperties === undefined) copy.additionalProperties = false;
  return copy;
}

/**
 * Bodies are JSON and keep their types: `"90"` is not 90 and 90 is not `"90"`. Query strings, params and
 * headers arrive as text, so only they are coerced to the types their schemas name.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const body = createAjv({ coerceTypes: false });
  const text = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) =>
    storableOnly(httpPart === 'body' ? body.compile(closeObjects(schema) as object) : text.compile(schema as object));
}
