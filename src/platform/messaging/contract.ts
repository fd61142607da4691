import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { EventEnvelope, NewEvent } from './envelope.js';

/**
 * One message type as its owning module declares it in its `messages.ts`: the name, the version of its
 * payload, what it means, and the payload's schema. Producers build messages through it and consumers
 * receive them typed by it; the bus checks every payload against it before a handler sees it.
 */
export interface MessageContract<N extends string = string, S extends TSchema = TSchema> {
  readonly type: N;
  readonly version: number;
  readonly description: string;
  readonly schema: S;
  /** A public event is offered to merchants' webhooks; commands and internal events never leave Orderly. */
  readonly public: boolean;
  /** A message of this type for the outbox, keyed for ordering (messages with one key are handled in order). */
  event(key: string, data: Static<S>): NewEvent<Static<S>>;
  /** Why `data` is not a payload of this contract (naming the field), or null when it is one. */
  problem(data: unknown): string | null;
  is(data: unknown): data is Static<S>;
}

/** A message as a consumer of `C` receives it: for a union of contracts, a union narrowed by `type`. */
export type MessageOf<C extends MessageContract> =
  C extends MessageContract<infer N, infer S> ? EventEnvelope<Static<S>> & { type: N } : never;

export function defineMessage<const N extends string, S extends TSchema>(
  type: N,
  schema: S,
  options: { description: string; version?: number; public?: boolean },
): MessageContract<N, S> {
  const validator = Compile(schema);
  const version = options.version ?? 1;
  return {
    type,
    version,
    description: options.description,
    schema,
    public: options.public ?? false,
    event: (key, data) => ({ type, version, key, data }),
    is: (data): data is Static<S> => validator.Check(data),
    problem(data) {
      if (validator.Check(data)) return null;
      const [first] = validator.Errors(data);
      return first ? `${first.instancePath || '/'} ${first.message}` : 'does not match its schema';
    },
  };
}

/**
 * A message a consumer must not handle: its payload does not match its contract, or the consumer knows no
 * contract for its type or version. Retrying cannot help, so it is dead-lettered at once with this error.
 */
export class MalformedMessage extends Error {
  override name = 'MalformedMessage';
}

/** Why `message` cannot be handled under `contracts` (none for its type or version, or a bad payload), or null. */
export function malformation(message: EventEnvelope, contracts: ReadonlyMap<string, MessageContract>): string | null {
  const contract = contracts.get(message.type);
  if (!contract) return `no contract for ${message.type}`;
  if (message.version !== contract.version)
    return `${message.type} v${message.version} is not the v${contract.version} this consumer knows`;
  const problem = contract.problem(message.data);
  return problem === null ? null : `${message.type} v${contract.version} payload: ${problem}`;
}
