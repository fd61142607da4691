import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MANIFEST = 'manifest.json';
const FORMAT = 1;

/** One copied file: where it goes in a data directory, and what it must hash to. */
export interface BackupFile {
  /** Relative to the data directory (and to the backup). */
  path: string;
  bytes: number;
  sha256: string;
}

/** What a backup holds, written last: a directory without it is not a backup. */
export interface Manifest {
  format: number;
  orderlyVersion: string;
  startedAt: string;
  finishedAt: string;
  files: BackupFile[];
  /** Migrations applied to the main database, by owner: a restore refuses any this code does not know. */
  schema: Record<string, string[]>;
  /** The outbox as copied: its last message, and deliveries still to make (delivered again after a restore). */
  outbox: { lastSeq: number; pendingDeliveries: number };
  /** When the search index's copy was taken: a restore brings it up to date from the catalog from then on. */
  searchCopiedAt: string | null;
  /**
   * The key file stored secrets are encrypted under (`secret.key`, listed in `files` too), when the shop
   * had one; null when ORDERLY_SECRET_KEY sealed them (that key must then be kept apart from the backup).
   * Absent in backups made before secrets were encrypted.
   */
  secretKeyFile?: string | null;
}

export function sha256Of(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function describeFile(root: string, relative: string): BackupFile {
  const full = path.join(root, relative);
  return { path: relative, bytes: fs.statSync(full).size, sha256: sha256Of(full) };
}

/** Written to a temporary name, synced, then renamed: a manifest is there whole or not at all. */
export function writeManifest(dir: string, manifest: Omit<Manifest, 'format'>): void {
  const file = path.join(dir, MANIFEST);
  const temporary = `${file}.partial`;
  fs.writeFileSync(temporary, `${JSON.stringify({ format: FORMAT, ...manifest }, null, 2)}\n`);
  syncFile(temporary);
  fs.renameSync(temporary, file);
  syncFile(dir);
}

export class BackupRefused extends Error {
  override name = 'BackupRefused';
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) throw new BackupRefused(`${dir} holds no ${MANIFEST}: not a finished backup`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw new BackupRefused(`${file} is not readable JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.files))
    throw new BackupRefused(`${file} is not a backup manifest this Orderly reads`);
  return manifest;
}

/** Every file of the backup is there with the size and checksum its manifest names; the problems otherwise. */
export function checkFiles(dir: string, manifest: Manifest): string[] {
  const problems: string[] = [];
  for (const file of manifest.files) {
    const full = path.join(dir, file.path);
    if (path.relative(dir, full).startsWith('..')) problems.push(`${file.path}: outside the backup`);
    else if (!fs.existsSync(full)) problems.push(`${file.path}: missing`);
    else if (fs.statSync(full).size !== file.bytes)
      problems.push(`${file.path}: ${fs.statSync(full).size} bytes, the manifest says ${file.bytes}`);
    else if (sha256Of(full) !== file.sha256) problems.push(`${file.path}: checksum does not match`);
  }
  return problems;
}

/** fsync of a file or a directory, so a rename or a copy survives a power cut. */
export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
