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
    async list(limit, before) {
      const letters: DeadLetter[] = [];
      let started = before === undefined;
      for (const source of sources) {
        if (letters.length >= limit) break;
        if (!started) {
          if (!source.owns(before!)) continue;
          started = true;
          letters.push(...(await source.store.list(limit, before)));
        } else {
          letters.push(...(await source.store.list(limit - letters.length)));
        }
      }
      return letters.slice(0, limit);
    },
    async redrive(id, within) {
      const source = sources.find((s) => s.owns(id));
      return source ? source.store.redrive(id, within) : false;
    },
    async count() {
      const counts = await Promise.all(sources.map((s) => s.store.count()));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}
