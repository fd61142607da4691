import path from 'node:path';
import { buildCore, type Core } from '../app.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import type { Logger } from '../platform/observability/logger.js';
import { lowerThreadPriority } from '../platform/thread-priority.js';
import { VERSION } from '../version.js';
import { backupTo } from './backup.js';
import { BackupRefused, checkFiles, readManifest } from './manifest.js';
import { catchUpSearch, refundOrphanCharges, type Refund } from './reconcile.js';
import { restoreFiles } from './restore.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function embeddedOnly(config: Config, command: string): string | null {
  return config.database.kind === 'sqlite'
    ? null
    : `orderly ${command} is for the embedded SQLite files; on PostgreSQL use deploy/postgres/backup.sh and restore.sh (see README)\n`;
}

const mainFile = (config: Config) => (config.database.kind === 'sqlite' ? config.database.file : '');

/** `orderly backup --to DIR`: exit 0 only when every file is copied and the copy verifies. */
export async function backupCommand(config: Config, args: string[]): Promise<number> {
  const to = option(args, '--to');
  if (!to) {
    process.stderr.write('usage: orderly backup --to DIR\n');
    return 2;
  }
  const refused = embeddedOnly(config, 'backup');
  if (refused) {
    process.stderr.write(refused);
    return 2;
  }
  // Beside a live shop on the same cores, the shop's requests go first.
  lowerThreadPriority(19);
  try {
    backupTo({
      dataDir: config.dataDir,
      mainFile: mainFile(config),
      archiveDir: config.archive.dir,
      to: path.resolve(to),
      version: VERSION,
      progress: say,
    });
  } catch (error) {
    process.stderr.write(`backup failed: ${(error as Error).message}\n`);
    return 1;
  }
  const problems = checkFiles(path.resolve(to), readManifest(path.resolve(to)));
  if (problems.length > 0) {
    process.stderr.write(`the backup does not verify:\n  ${problems.join('\n  ')}\n`);
    return 1;
  }
  say(`verified: ${path.resolve(to)}`);
  return 0;
}

/** `orderly restore --from DIR --data-dir DIR2 [--force]`: the files, then the parts brought into agreement. */
export async function restoreCommand(args: string[], logger: Logger): Promise<number> {
  const from = option(args, '--from');
  const dataDir = option(args, '--data-dir');
  if (!from || !dataDir) {
    process.stderr.write('usage: orderly restore --from DIR --data-dir DIR [--force]\n');
    return 2;
  }
  let config: Config;
  try {
    // The restored main database is the data directory's orderly.db, wherever DATABASE_URL=sqlite:… kept the backed-up one.
    const { DATABASE_URL, ...env } = process.env;
    const keep = DATABASE_URL !== undefined && !DATABASE_URL.startsWith('sqlite:');
    config = loadConfig({ ...env, ...(keep ? { DATABASE_URL } : {}), ORDERLY_DATA_DIR: dataDir });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const refused = embeddedOnly(config, 'restore');
  if (refused) {
    process.stderr.write(refused);
    return 2;
  }
  let manifest: ReturnType<typeof restoreFiles>;
  try {
    manifest = restoreFiles({
      from: path.resolve(from),
      dataDir: config.dataDir,
      archiveDir: config.archive.dir,
      force: args.includes('--force'),
      progress: say,
    });
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    process.stderr.write(`restore refused: ${error.message}\n`);
    return 1;
  }
  const core = await buildCore(config, logger);
  try {
    say(`search index brought up to date: ${await catchUpSearch(core, manifest.searchCopiedAt)} product(s) indexed again`);
    sayRefunds(await refundOrphanCharges(core));
    say(`${manifest.outbox.pendingDeliveries} delivery(ies) were in flight at the backup; they are made when Orderly starts`);
  } finally {
    await core.close();
  }
  say(`restored into ${config.dataDir}: start it with ORDERLY_DATA_DIR=${config.dataDir} orderly start`);
  return 0;
}

function sayRefunds(refunded: Refund[]): void {
  for (const r of refunded) say(`refunded ${r.amount} of charge ${r.chargeId} for ${r.reference}, an order placed after the backup`);
  say(`${refunded.length} charge(s) for orders placed after the backup refunded`);
}

/** `orderly reconcile`: after a point-in-time recovery of PostgreSQL, what `orderly restore` does after copying. */
export async function reconcileCommand(core: Core): Promise<number> {
  sayRefunds(await refundOrphanCharges(core));
  return 0;
}
