import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, platformErrors, type FieldError } from './errors.js';
import { isContention } from '../db/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: FieldError[];
  requestId: string;
}

export function problemOf(error: AppError, requestId: string): Problem {
  return {
    type: `https://orderly.dev/problems/${error.code}`,
    title: error.title,
    status: error.status,
    code: error.code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    ...(error.fieldErrors === undefined ? {} : { errors: error.fieldErrors }),
    requestId,
  };
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
  return reply
    .status(error.status)
    .header('cache-control', 'no-store')
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemOf(error, reply.request.id)));
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

function fieldOf(issue: ValidationIssue, context: string | undefined): string {
  const pointer = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = (issue.params as { missingProperty?: unknown }).missingProperty;
  const leaf = typeof missing === 'string' ? missing : '';
  const path = [pointer, leaf].filter(Boolean).join('.');
  const prefix = context === 'body' || context === undefined ? '' : `${context}.`;
  return path === '' ? (context ?? 'body') : `${prefix}${path}`;
}

function validationError(error: FastifyError): AppError {
  const issues = error.validation ?? [];
  const errors = issues.map((issue) => ({ field: fieldOf(issue, error.validationContext), message: issue.message ?? 'is invalid' }));
  return platformErrors.error('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), { errors });
}

const fastifyCodes: Record<string, () => AppError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => platformErrors.error('malformed_json'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => platformErrors.error('malformed_json', 'The body is empty'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => platformErrors.error('payload_too_large'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => platformErrors.error('unsupported_media_type', 'Send JSON with content-type: application/json'),
};

/** Turns anything thrown during a request into an AppError; unknown errors become a 500 that never leaks its message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { status?: number };
  if (fastifyError.validation) return validationError(fastifyError as FastifyError);
  const mapped = fastifyError.code === undefined ? undefined : fastifyCodes[fastifyError.code];
  if (mapped) return mapped();
  if (error instanceof SyntaxError) return platformErrors.error('malformed_json');
  // Lost a deadlock or a lock wait to other transactions: nothing was written, and the same request again will do.
  if (isContention(error)) {
    return platformErrors.error('unavailable', 'Other requests held what this one needed; try again', { headers: { 'retry-after': '1' } });
  }
  const status = fastifyError.statusCode ?? fastifyError.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status === 404 ? 'not_found' : 'bad_request', status, 'Bad request', fastifyError.message);
  }
  return platformErrors.error('internal_error');
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error);
  if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
  return sendProblem(reply, appError);
}
