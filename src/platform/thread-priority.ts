import fs from 'node:fs';
import os from 'node:os';

/**
 * Lowers the calling thread's CPU priority, so that when the cores are busy the event loop taking requests
 * goes first. Linux gives each thread its own nice value; elsewhere the thread keeps the process's.
 */
export function lowerThreadPriority(niceness: number): void {
  try {
    const threadId = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId)) os.setPriority(threadId, niceness);
  } catch {}
}
