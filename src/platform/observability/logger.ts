import { pino, type Logger } from 'pino';
import { batchedStdout } from './log-destination.js';
import { CENSORED, censorSecrets } from './log-redaction.js';
import { activeTraceFields } from './tracing.js';

export type { Logger } from 'pino';

/**
 * Paths censored after serialization, where the name-based censoring (log-redaction.ts, which runs on what
 * the code logs, before serializers) cannot see: a serialized request's or error's headers.
 */
export const redactedPaths = ['req.headers.authorization', 'req.headers.cookie', 'err.headers.authorization', 'err.headers.cookie'];

/**
 * One JSON line per event, secrets censored by name at any depth of its fields (log-redaction.ts; a child
 * logger's bindings are not censored, as pino serializes them once at `child()`: bind ids only). Lines go to stdout asynchronously and in batches (a synchronous
 * write per request costs more than serving it); what is buffered is written on exit. While tracing, a
 * line written inside a request or a handler carries the active span's traceId and spanId.
 */
export function createLogger(level: string, destination: pino.DestinationStream = batchedStdout()): Logger {
  return pino(
    {
      level,
      base: { service: 'orderly', pid: process.pid },
      redact: { paths: redactedPaths, censor: CENSORED },
      formatters: { log: censorSecrets },
      mixin: activeTraceFields,
    },
    destination,
  );
}
