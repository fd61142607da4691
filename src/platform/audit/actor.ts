import type { FastifyRequest } from 'fastify';
import { principalOf } from '../http/auth.js';
import type { AuditActor } from './audit-log.js';

/** The audit actor of a request on a route with `config.auth`: its user and the client's address. */
export function auditActorOf(request: FastifyRequest): AuditActor {
  return { id: principalOf(request).userId, address: request.ip };
}
