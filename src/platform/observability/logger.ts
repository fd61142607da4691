import { pino, type Logger } from 'pino';
import { batchedStdout } from './log-destination.js';
import { activeTraceFields } from './tracing.js';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line: credentials, tokens, card data. Exact paths, not wildcards:
 * a wildcard makes every log call walk its whole object, which costs more than the line itself.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  'token',
  'secret',
  'paymentToken',
  'cardNumber',
  ...['body', 'input', 'user', 'admin', 'credentials', 'payment'].flatMap((parent) =>
    ['password', 'token', 'secret', 'paymentToken', 'cardNumber'].map((field) => `${parent}.${field}`),
  ),
];

/**
 * One JSON line per event, secrets redacted. Lines go to stdout asynchronously and in batches (a
 * synchronous write per request costs more than serving it); what is buffered is written on exit. While
 * tracing, a line written inside a request or a handler carries the active span's traceId and spanId.
 */
export function createLogger(level: string, destination: pino.DestinationStream = batchedStdout()): Logger {
  return pino(
    {
      level,
      base: { service: 'orderly', pid: process.pid },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      mixin: activeTraceFields,
    },
    destination,
  );
}
