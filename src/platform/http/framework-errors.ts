import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { platformErrors, type AppError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, problemOf, sendProblem } from './problem.js';
import { ALWAYS_HEADERS } from './browser-headers.js';

/** Longer URLs are refused before routing: no route of the API needs more, and logs and caches stay small. */
export const MAX_URL_LENGTH = 8192;

const routerCodes: Record<string, () => AppError> = {
  FST_ERR_BAD_URL: () => platformErrors.error('bad_request', 'The URL is not validly encoded'),
  FST_ERR_MAX_PARAM_LENGTH: () => platformErrors.error('uri_too_long', 'A path segment is too long'),
};

/** Errors the router raises before a route runs (a badly encoded URL, an overlong segment), as problem+json. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // No hook has run for a request the router refused: its id and the headers every answer carries are set here.
  reply.header('x-request-id', request.id).headers(ALWAYS_HEADERS);
  const known = routerCodes[error.code];
  sendProblem(reply, known ? known() : platformErrors.error('bad_request', 'The request could not be routed'));
}

const NUL = /%00/i;

/**
 * onRequest guard for URLs past MAX_URL_LENGTH (Node's own limit is the 16 KiB of all headers together),
 * and for an encoded NUL anywhere in one: no id or query value holds one, and PostgreSQL refuses it in text.
 */
export function guardUrls(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (request.url.length > MAX_URL_LENGTH)
    sendProblem(reply, platformErrors.error('uri_too_long', `URLs are limited to ${MAX_URL_LENGTH} characters`));
  else if (NUL.test(request.url)) sendProblem(reply, platformErrors.error('bad_request', 'The URL holds an encoded NUL (%00)'));
  else done();
}

const clientErrors: Record<string, () => AppError> = {
  HPE_HEADER_OVERFLOW: () => platformErrors.error('headers_too_large', 'Request headers are limited to 16 KiB in all'),
  ERR_HTTP_REQUEST_TIMEOUT: () => platformErrors.error('request_timeout'),
};

let clientErrorCount = 0;
const waiting = new WeakSet<Socket>();
const RAW_ALWAYS_HEADERS = Object.entries(ALWAYS_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a malformed request line, headers past
 * the limit, a timeout) is answered as problem+json too, then the connection is closed: after a parse
 * error nothing more on that socket can be trusted.
 *
 * Unlike Node's default, a request read whole and being handled keeps its own answer: the stray bytes after
 * it (a body sent with a DELETE but not declared, say) must not turn a 204 for a deletion that happened into
 * a 400 the client would retry.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight?.req.complete) {
    // Stray bytes after a request read whole: its answer goes out, then the connection closes.
    if (!waiting.has(socket)) {
      waiting.add(socket);
      inFlight.once('finish', () => socket.destroySoon());
    }
    return;
  }
  // A request whose body broke off mid-way, or no request at all: nothing will complete it.
  if (socket.writable && !inFlight?.headersSent) {
    const known = error.code === undefined ? undefined : clientErrors[error.code];
    const appError = known ? known() : platformErrors.error('bad_request', 'The request is not valid HTTP');
    clientErrorCount += 1;
    const requestId = `client-error-${process.pid}-${clientErrorCount}`;
    const body = JSON.stringify(problemOf(appError, requestId));
    socket.write(
      `HTTP/1.1 ${appError.status} ${appError.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n${RAW_ALWAYS_HEADERS}` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
