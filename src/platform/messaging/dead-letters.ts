import type { DeadLetter, DeadLetterStore } from './transport.js';

/** A store of dead letters and the ids that are its own. */
export interface DeadLetterSource {
  store: DeadLetterStore;
  owns(id: string): boolean;
}

/**
 * One dead-letter store for operators over several: the bus's, and those of modules that deliver outside
 * the bus (webhooks). Listing walks the sources in turn, each newest first; a cursor (the last id seen)
 * belongs to exactly one source, so pages neither repeat nor skip.
 */
export function combineDeadLetters(sources: DeadLetterSource[]): DeadLetterStore {
  return {
    async list(limit, before, filter) {
      const letters: DeadLetter[] = [];
      let started = before === undefined;
      for (const source of sources) {
        if (letters.length >= limit) break;
        if (!started) {
          if (!source.owns(before!)) continue;
          started = true;
          letters.push(...(await source.store.list(limit, before, filter)));
        } else {
          letters.push(...(await source.store.list(limit - letters.length, undefined, filter)));
        }
      }
      return letters.slice(0, limit);
    },
    async redrive(id, within) {
      const source = sources.find((s) => s.owns(id));
      return source ? source.store.redrive(id, within) : false;
    },
    // One source after the other in the one transaction, until the limit is spent.
    async redriveMatching(tx, filter, limit) {
      let redriven = 0;
      for (const source of sources) {
        if (redriven >= limit) break;
        redriven += await source.store.redriveMatching(tx, filter, limit - redriven);
      }
      return redriven;
    },
    wake() {
      for (const source of sources) source.store.wake();
    },
    async count() {
      const counts = await Promise.all(sources.map((s) => s.store.count()));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}
