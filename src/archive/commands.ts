import type { Core } from '../app.js';
import { archiveOrders, archiverDepsOf } from './archiver.js';

/** `orderly archive --before DATE`: final orders unchanged since before DATE go to cold storage. */
export async function archiveCommand(core: Core, args: string[]): Promise<number> {
  const at = args.indexOf('--before');
  const text = at >= 0 ? args[at + 1] : undefined;
  const before = text === undefined ? Number.NaN : Date.parse(text);
  if (!Number.isFinite(before)) {
    process.stderr.write('usage: orderly archive --before DATE   (e.g. 2026-01-01 or 2026-01-01T00:00:00Z)\n');
    return 2;
  }
  const run = await archiveOrders(archiverDepsOf(core), {
    before: new Date(before).toISOString(),
    progress: (line) => process.stdout.write(`${line}\n`),
    killAfterFile: core.config.faults.killAfterArchiveFile,
  });
  if (!run.ran) {
    process.stderr.write('another process is archiving right now; try again when it is done\n');
    return 1;
  }
  process.stdout.write(`${run.archived} order(s) archived in ${run.files} file(s) under ${core.config.archive.dir}\n`);
  return 0;
}
