/** A field-level validation message, as it appears in a problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorSpec {
  status: number;
  title: string;
}

export type ErrorCatalog = Record<string, ErrorSpec>;

/** An error a client can cause; rendered as application/problem+json with its stable `code`. */
export class AppError extends Error {
  override name = 'AppError';

  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly fieldErrors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export interface ErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
}

export interface ErrorKit<C extends ErrorCatalog> {
  catalog: C;
  /** Builds the error for a declared code; the caller throws it. */
  error(code: keyof C & string, detail?: string, options?: ErrorOptions): AppError;
}

/** Declares a set of error codes; each module declares its own in `errors.ts`. */
export function defineErrors<const C extends ErrorCatalog>(catalog: C): ErrorKit<C> {
  return {
    catalog,
    error(code, detail, options) {
      const spec = catalog[code];
      if (spec === undefined) throw new Error(`undeclared error code ${code}`);
      return new AppError(code, spec.status, spec.title, detail, options?.errors, options?.headers);
    },
  };
}

/** Codes the platform itself raises, whatever the module. */
export const platformErrors = defineErrors({
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  bad_request: { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed for this account' },
  not_found: { status: 404, title: 'Not found' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  uri_too_long: { status: 414, title: 'The URL is too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
});

/** Merges the catalogs of the platform and every module; a code declared twice with a different meaning is a wiring bug. */
export function mergeErrorCatalogs(catalogs: ErrorCatalog[]): ErrorCatalog {
  const merged: ErrorCatalog = {};
  for (const catalog of catalogs) {
    for (const [code, spec] of Object.entries(catalog)) {
      const existing = merged[code];
      if (existing && existing.status !== spec.status) {
        throw new Error(`error code ${code} declared with statuses ${existing.status} and ${spec.status}`);
      }
      if (!/^[a-z][a-z0-9_]*$/.test(code)) throw new Error(`error code ${code} is not snake_case`);
      merged[code] = spec;
    }
  }
  return merged;
}
