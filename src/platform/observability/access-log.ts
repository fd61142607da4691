import { pino, type Logger } from 'pino';

/** What the line of a completed request says. */
export interface AccessLine {
  requestId: string;
  /** The request's trace, while tracing. */
  traceId?: string | undefined;
  spanId?: string | undefined;
  userId: string | undefined;
  /** The client's address: X-Forwarded-For's when the request came through a trusted proxy. */
  ip: string;
  method: string;
  url: string;
  route: string;
  statusCode: number;
  durationMs: number;
}

export type AccessLog = (line: AccessLine) => void;

interface PinoInternals {
  stream: { write(line: string): void };
  chindings: string;
}

function internalsOf(logger: Logger): PinoInternals | null {
  const record = logger as unknown as Record<symbol, unknown>;
  const stream = record[pino.symbols.streamSym] as PinoInternals['stream'] | undefined;
  const chindings = record[pino.symbols.chindingsSym];
  return stream && typeof stream.write === 'function' && typeof chindings === 'string' ? { stream, chindings } : null;
}

/**
 * The line every completed request writes, in the logger's own format and stream (pino's info line:
 * level, time, the logger's bindings, then the fields). Built here rather than by pino because its fields
 * are fixed and few: through pino, with the per-request child, the line costs about 5 µs, the largest
 * single part of serving a cached product (bench:read).
 */
export function createAccessLog(logger: Logger): AccessLog {
  const internals = internalsOf(logger);
  if (internals === null) {
    return ({ userId, traceId, spanId, ...line }) =>
      logger.info(
        { ...line, ...(userId === undefined ? {} : { userId }), ...(traceId === undefined ? {} : { traceId, spanId }) },
        'request completed',
      );
  }
  const { stream, chindings } = internals;
  return (line) => {
    if (!logger.isLevelEnabled('info')) return;
    stream.write(
      `{"level":30,"time":${Date.now()}${chindings},"requestId":${jsonString(line.requestId)}` +
        `${line.traceId === undefined ? '' : `,"traceId":"${line.traceId}","spanId":"${line.spanId}"`}` +
        `${line.userId === undefined ? '' : `,"userId":${jsonString(line.userId)}`},"ip":${jsonString(line.ip)}` +
        `,"method":${jsonString(line.method)}` +
        `,"url":${jsonString(line.url)},"route":${jsonString(line.route)},"statusCode":${line.statusCode}` +
        `,"durationMs":${line.durationMs},"msg":"request completed"}\n`,
    );
  };
}

/** Printable ASCII without quote or backslash: the same in JSON as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal. JSON.stringify costs about 300 ns a field; almost every field is plain. */
function jsonString(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}
