import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../platform/thread-priority.js';
import { backupTo, type BackupOptions } from './backup.js';

// A scheduled backup, off the event loop: copying and hashing gigabytes must not hold up a request.
lowerThreadPriority(10);
try {
  backupTo(workerData as Omit<BackupOptions, 'progress'>);
  parentPort!.postMessage({ ok: true });
} catch (error) {
  parentPort!.postMessage({ ok: false, error: (error as Error).message });
}
