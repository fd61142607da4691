import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { nowIso } from '../platform/db/ids.js';
import { describeFile, syncFile, writeManifest, type BackupFile, type Manifest } from './manifest.js';
import { copySqlite } from './sqlite-copy.js';
import { SECRET_KEY_FILE } from '../platform/secrets/secret-keys.js';

/** The embedded default's files, relative to its data directory. */
export const MAIN_DATABASE = 'orderly.db';
export const SEARCH_INDEX = 'search.db';
export const SANDBOX_LEDGER = 'sandbox-provider.db';
/** Generated product pictures the storefront serves: plain files, copied as they are. */
const PICTURES = 'images';
/** Archived orders' files, stored in the backup under this name wherever ORDERLY_ARCHIVE_DIR keeps them. */
export const ARCHIVE = 'archive';

export interface BackupOptions {
  dataDir: string;
  /** The main database (DATABASE_URL=sqlite:… may keep it outside the data directory); stored as orderly.db. */
  mainFile: string;
  /** ORDERLY_ARCHIVE_DIR: archive files are immutable, and copied after the database that indexes them. */
  archiveDir: string;
  /** A new or empty directory. */
  to: string;
  version: string;
  /** Told of each step as it starts and ends. */
  progress?: (line: string) => void;
}

/**
 * Copies every file of a running embedded Orderly into `to`, each consistent on its own, in the order a
 * restore can reconcile: the search index first (older than the catalog it follows, so a restore brings
 * it forward), then the main database, then the sandbox provider's ledger (newer, so it knows every charge
 * the database does; charges for orders placed meanwhile are refunded by the restore). The manifest,
 * written last, makes the directory a backup.
 */
export function backupTo(options: BackupOptions): Manifest {
  const { dataDir, to } = options;
  const say = options.progress ?? (() => {});
  if (fs.existsSync(to) && fs.readdirSync(to).length > 0)
    throw new Error(`${to} is not empty: a backup goes into a new or empty directory`);
  if (!fs.existsSync(options.mainFile)) throw new Error(`${options.mainFile} does not exist: nothing to back up`);
  fs.mkdirSync(to, { recursive: true });
  const startedAt = nowIso();
  const files: BackupFile[] = [];
  let searchCopiedAt: string | null = null;

  const copy = (name: string, source = path.join(dataDir, name)) => {
    if (!fs.existsSync(source)) return false;
    const began = Date.now();
    say(`copying ${name} (${megabytes(fs.statSync(source).size)})`);
    copySqlite(source, path.join(to, name));
    files.push(describeFile(to, name));
    say(`copied ${name}: ${megabytes(files[files.length - 1]!.bytes)} in ${((Date.now() - began) / 1000).toFixed(1)} s, checked`);
    return true;
  };

  const searchStartedAt = nowIso();
  if (copy(SEARCH_INDEX)) searchCopiedAt = searchStartedAt;
  copy(MAIN_DATABASE, options.mainFile);
  copy(SANDBOX_LEDGER);
  const secretKeyFile = copySecretKey(dataDir, to);
  if (secretKeyFile) {
    files.push(describeFile(to, SECRET_KEY_FILE));
    say(`copied ${SECRET_KEY_FILE}: the key the stored secrets are encrypted under (keep this backup as private as the key)`);
  }
  for (const [name, from] of [
    [PICTURES, path.join(dataDir, PICTURES)],
    [ARCHIVE, options.archiveDir],
  ] as const) {
    const copied = copyTree(from, to, name);
    if (copied.length > 0) say(`copied ${copied.length} file(s) into ${name}/`);
    files.push(...copied);
  }
  syncFile(to);

  const { schema, outbox } = describeMain(path.join(to, MAIN_DATABASE));
  const manifest = {
    orderlyVersion: options.version,
    startedAt,
    finishedAt: nowIso(),
    files,
    schema,
    outbox,
    searchCopiedAt,
    secretKeyFile: secretKeyFile ? SECRET_KEY_FILE : null,
  };
  writeManifest(to, manifest);
  say(`backup complete: ${files.length} file(s), ${megabytes(files.reduce((sum, f) => sum + f.bytes, 0))}, outbox at ${outbox.lastSeq}`);
  return { format: 1, ...manifest };
}

/**
 * The data directory's key file, when the embedded default made one (no ORDERLY_SECRET_KEY): without it a
 * restored shop cannot read its webhook secrets. Copied with its mode (0600); false when there is none.
 */
function copySecretKey(dataDir: string, to: string): boolean {
  const source = path.join(dataDir, SECRET_KEY_FILE);
  if (!fs.existsSync(source)) return false;
  fs.copyFileSync(source, path.join(to, SECRET_KEY_FILE));
  fs.chmodSync(path.join(to, SECRET_KEY_FILE), 0o600);
  syncFile(path.join(to, SECRET_KEY_FILE));
  return true;
}

/** The migrations applied, by owner, and the outbox's position, as the copy of the main database holds them. */
function describeMain(file: string): Pick<Manifest, 'schema' | 'outbox'> {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(`select name from sqlite_master where type = 'table' and name like 'orderly_migrations_%' and name not like '%_lock'`)
      .pluck()
      .all() as string[];
    const schema: Record<string, string[]> = {};
    for (const table of tables) {
      schema[table.slice('orderly_migrations_'.length)] = db.prepare(`select name from "${table}" order by name`).pluck().all() as string[];
    }
    const lastSeq = (db.prepare('select coalesce(max(seq), 0) from outbox').pluck().get() as number) ?? 0;
    const pendingDeliveries = db.prepare(`select count(*) from messaging_deliveries where status = 'pending'`).pluck().get() as number;
    return { schema, outbox: { lastSeq, pendingDeliveries } };
  } finally {
    db.close();
  }
}

/** Copies the files under `from` into `toRoot/relative`, skipping any still being written (`.partial`). */
function copyTree(from: string, toRoot: string, relative: string): BackupFile[] {
  if (!fs.existsSync(from)) return [];
  const copied: BackupFile[] = [];
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const name = path.join(relative, entry.name);
    if (entry.isDirectory()) copied.push(...copyTree(path.join(from, entry.name), toRoot, name));
    else if (entry.isFile() && !entry.name.endsWith('.partial')) {
      fs.mkdirSync(path.dirname(path.join(toRoot, name)), { recursive: true });
      fs.copyFileSync(path.join(from, entry.name), path.join(toRoot, name));
      syncFile(path.join(toRoot, name));
      copied.push(describeFile(toRoot, name));
    }
  }
  return copied;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
