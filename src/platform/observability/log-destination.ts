import { pino } from 'pino';

/** Lines wait at most this long before they are written. */
const FLUSH_AFTER_MS = 10;
/** ...or until this much has gathered. */
const FLUSH_AT_CHARS = 64 * 1024;

export interface BatchedDestination extends pino.DestinationStream {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/**
 * Stdout, written in batches: the lines of the next few milliseconds go out as one asynchronous write.
 * A write per line (a request's access line) costs more than serving a cached read: each is a round trip
 * to a libuv thread, and sonic-boom re-measures its whole queue for every line queued behind a write in
 * flight (bench:read). A process killed with SIGKILL loses at most the last few milliseconds of lines,
 * as it already lost the write in flight; an orderly exit, even through process.exit(), writes them all.
 */
export function batchedStdout(): BatchedDestination {
  const target = pino.destination({ dest: 1, sync: false });
  let pending = '';
  let timer: NodeJS.Timeout | null = null;

  const drain = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (pending === '') return;
    const text = pending;
    pending = '';
    target.write(text);
  };

  const destination: Gathering = {
    write(line: string) {
      pending += line;
      if (pending.length >= FLUSH_AT_CHARS) drain();
      else if (timer === null) timer = setTimeout(drain, FLUSH_AFTER_MS);
    },
    flush(callback) {
      drain();
      target.flush(callback);
    },
    flushSync() {
      drain();
      target.flushSync();
    },
    // Only with lines gathered: at a natural exit there are none (the timer kept the loop alive until they
    // were written), and pino has ended its stream by then, which would refuse flushSync.
    atExit() {
      if (pending !== '') destination.flushSync();
    },
  };
  flushedOnExit(destination);
  return destination;
}

// pino flushes its own stream on exit; what is still gathered here has to reach that stream first. Weak
// references, so the loggers of apps that were closed (tests make many) can still be collected.
interface Gathering extends BatchedDestination {
  atExit(): void;
}
const live = new Set<WeakRef<Gathering>>();
let exitHooked = false;
function flushedOnExit(destination: Gathering): void {
  if (!exitHooked)
    process.once('exit', () => {
      for (const ref of live) ref.deref()?.atExit();
    });
  exitHooked = true;
  for (const ref of live) if (ref.deref() === undefined) live.delete(ref);
  live.add(new WeakRef(destination));
}
