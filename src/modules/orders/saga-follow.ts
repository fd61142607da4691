import type { Executor } from '../../platform/db/database.js';
import type { Publish } from '../../platform/messaging/bus.js';
import type { NewEvent } from '../../platform/messaging/envelope.js';
import { decide, type Decision, type SagaState } from './saga.js';
import { applyDecision } from './saga-state.js';
import type { OrdersStore } from './store.js';

/**
 * Commands of another module the saga may run in its own transaction instead of sending them: inventory's,
 * when orders and inventory share a database. Each such command is a hop fewer (docs/checkout.md).
 */
export interface InlineCommands {
  handles(type: string): boolean;
  /** The module's answer, or null when the command must be sent after all. */
  run(tx: Executor, command: NewEvent): Promise<NewEvent | null>;
}

/** One decision as written: the state it was made on, and what set it off. */
export interface Applied {
  state: SagaState;
  decision: Decision;
  cause: string;
}

/**
 * Writes a decision. A command in it that `inline` runs is run here instead of sent, and its answer is
 * decided on at once, in the same transaction, until a decision sends its commands away or ends the saga.
 * What the decisions send is published once, in order, at the end. Returns every decision written, first
 * to last, and the saga's state after the last.
 */
export async function applyAndFollow(
  tx: Executor,
  store: OrdersStore,
  first: Applied,
  publish: Publish,
  inline: InlineCommands | null,
): Promise<{ applied: Applied[]; after: SagaState }> {
  const applied: Applied[] = [];
  const outgoing: NewEvent[] = [];
  const collect: Publish = async (events) => {
    outgoing.push(...events);
  };
  let current: Applied | null = first;
  let after = first.state;
  while (current !== null) {
    const { state, decision, cause }: Applied = current;
    const command: NewEvent | undefined = inline ? decision.publish.find((c) => inline.handles(c.type)) : undefined;
    const answer: NewEvent | null = command ? await inline!.run(tx, command) : null;
    if (answer) decision.publish = decision.publish.filter((c) => c !== command);
    after = await applyDecision(store, state, decision, collect, cause);
    applied.push(current);
    const next: Decision | null = answer ? decide(after, answer) : null;
    current = next ? { state: after, decision: next, cause: answer!.type } : null;
  }
  await publish(outgoing);
  return { applied, after };
}
