import { Worker } from 'node:worker_threads';
import { threadEntry } from '../../platform/thread-entry.js';
import type { SearchQuery, SearchResult } from './query.js';
import type { ReaderReply, ReaderRequest } from './reader-thread.js';

interface Reader {
  thread: Worker;
  waiting: Map<number, { resolve: (result: SearchResult) => void; reject: (error: Error) => void }>;
}

export interface ReaderPool {
  search(query: SearchQuery): Promise<SearchResult>;
  close(): Promise<void>;
}

/**
 * Searches run on `size` threads (`reader-thread.ts`), each with its own read-only connection to the
 * index, so a search over a million products never holds up the event loop that takes orders. A query
 * goes to the thread with the fewest in hand. A thread that dies fails what it had in hand and is
 * started again on the next search.
 */
export function createReaderPool(file: string, window: number, size: number): ReaderPool {
  const readers: (Reader | null)[] = new Array(size).fill(null);
  let nextId = 0;
  let closed = false;

  function started(slot: number): Reader {
    const running = readers[slot];
    if (running) return running;
    const thread = new Worker(threadEntry(import.meta.url, 'reader-thread'), {
      workerData: { file, window },
      name: `search-reader-${slot}`,
    });
    const reader: Reader = { thread, waiting: new Map() };
    thread.on('message', (reply: ReaderReply) => {
      const waiter = reader.waiting.get(reply.id);
      reader.waiting.delete(reply.id);
      if ('error' in reply) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.result);
      if (reader.waiting.size === 0) thread.unref();
    });
    thread.on('error', () => {});
    thread.on('exit', (code) => {
      if (readers[slot] === reader) readers[slot] = null;
      for (const waiter of reader.waiting.values()) waiter.reject(new Error(`search reader thread exited (${code})`));
      reader.waiting.clear();
    });
    thread.unref();
    return (readers[slot] = reader);
  }

  for (let slot = 0; slot < size; slot += 1) started(slot);

  return {
    search(query) {
      if (closed) return Promise.reject(new Error('the search index is closed'));
      let slot = 0;
      for (let i = 1; i < size; i += 1) if ((readers[i]?.waiting.size ?? 0) < (readers[slot]?.waiting.size ?? 0)) slot = i;
      const reader = started(slot);
      const id = nextId++;
      // Referenced while it has work, so a process answering its last searches waits for them.
      reader.thread.ref();
      reader.thread.postMessage({ id, query } satisfies ReaderRequest);
      return new Promise((resolve, reject) => reader.waiting.set(id, { resolve, reject }));
    },
    async close() {
      closed = true;
      await Promise.all(
        readers.map(async (reader) => {
          if (!reader) return;
          const exited = new Promise((resolve) => reader.thread.once('exit', resolve));
          // Referenced until it has gone: an idle thread is unreferenced, and a process whose last work
          // is waiting for it would otherwise end before it does.
          reader.thread.ref();
          reader.thread.postMessage('close');
          await exited;
        }),
      );
    },
  };
}
