import type { MessageContract } from '../../platform/messaging/contract.js';

/** The events merchants can subscribe to: the public message contracts of the modules (commands and internal events never leave Orderly). */
export type PublicEvents = readonly MessageContract[];

/** The catalog `GET /v1/webhooks/event-types` lists: each type with its version, meaning and the JSON Schema of its `data`. */
export function eventCatalog(events: PublicEvents) {
  return events.map((e) => ({ type: e.type, version: e.version, description: e.description, schema: e.schema as unknown }));
}

export const subscribes = (events: readonly string[], type: string) => events.includes('*') || events.includes(type);

/**
 * Sent only by `POST /v1/webhooks/endpoints/{id}/test`, to that one endpoint whatever it subscribes to, so
 * a merchant can check their receiver and its signature check. Not in the catalog: nobody subscribes to it.
 */
export const WEBHOOK_TEST = 'webhook.test';
