import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

const shared: Options = { useDefaults: true, removeAdditional: true, allErrors: true };

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...shared, ...options });
  addFormats.default(ajv);
  return ajv;
}

function nonFinite(data: unknown): string | null {
  if (data === null || typeof data !== 'object') return null;
  for (const [key, value] of Object.entries(data)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) return key;
  }
  return null;
}

/**
 * Ajv coerces the text "Infinity" (and "1e309") to a number that passes `integer`, and skips `minimum` and
 * `maximum` for it: `?limit=Infinity` reached a query as LIMIT Infinity. Coerced parts are flat (a query
 * string, params, headers), so one pass over their values after Ajv closes the hole.
 */
function finiteNumbersOnly(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown, context?: object) => {
    if (!validate(data, context as never)) {
      checked.errors = validate.errors;
      return false;
    }
    const field = nonFinite(data);
    if (field === null) {
      checked.errors = null;
      return true;
    }
    const error: ErrorObject = {
      instancePath: `/${field}`,
      schemaPath: '#',
      keyword: 'type',
      params: {},
      message: 'must be a finite number',
    };
    checked.errors = [error];
    return false;
  }) as ValidateFunction;
  checked.schemaEnv = validate.schemaEnv;
  return checked;
}

/**
 * Bodies are JSON and keep their types: `"90"` is not 90 and 90 is not `"90"`. Query strings, params and
 * headers arrive as text, so only they are coerced to the types their schemas name.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const body = createAjv({ coerceTypes: false });
  const text = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) =>
    httpPart === 'body' ? body.compile(schema as object) : finiteNumbersOnly(text.compile(schema as object));
}
