import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

const shared: Options = { useDefaults: true, removeAdditional: true, allErrors: true };

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...shared, ...options });
  addFormats.default(ajv);
  return ajv;
}

/**
 * Bodies are JSON and keep their types: `"90"` is not 90 and 90 is not `"90"`. Query strings, params and
 * headers arrive as text, so only they are coerced to the types their schemas name.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const body = createAjv({ coerceTypes: false });
  const text = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
