import fs from 'node:fs';
import path from 'node:path';
import { knownMigrations } from '../migration-sets.js';
import { ARCHIVE, MAIN_DATABASE, SANDBOX_LEDGER, SEARCH_INDEX } from './backup.js';
import { BackupRefused, checkFiles, readManifest, syncFile, type Manifest } from './manifest.js';
import { SECRET_KEY_FILE } from '../platform/secrets/secret-keys.js';

export interface RestoreOptions {
  from: string;
  dataDir: string;
  /** Where archive files go (ORDERLY_ARCHIVE_DIR of the restored shop). */
  archiveDir: string;
  /** Replace what the data directory holds. */
  force: boolean;
  progress?: (line: string) => void;
}

/** What a data directory of the embedded default may hold that a restore replaces. */
const REPLACED = [MAIN_DATABASE, SEARCH_INDEX, SANDBOX_LEDGER]
  .flatMap((f) => [f, `${f}-wal`, `${f}-shm`])
  .concat('images', SECRET_KEY_FILE);

/**
 * Checks a backup and copies it into a data directory. Refuses (BackupRefused, nothing written) a
 * directory that is not a finished backup, a file whose checksum fails, a schema newer than this code,
 * and a data directory that is not empty unless `force` is given. Each file lands whole or not at all.
 */
export function restoreFiles(options: RestoreOptions): Manifest {
  const { from, dataDir } = options;
  const say = options.progress ?? (() => {});
  const manifest = readManifest(from);
  say(`backup of ${manifest.startedAt} (Orderly ${manifest.orderlyVersion}): ${manifest.files.length} file(s)`);

  const problems = checkFiles(from, manifest);
  if (problems.length > 0) throw new BackupRefused(`the backup does not match its manifest:\n  ${problems.join('\n  ')}`);
  say('checksums verified');

  const known = knownMigrations();
  const newer = Object.entries(manifest.schema).flatMap(([owner, names]) =>
    names.filter((name) => !known.get(owner)?.has(name)).map((name) => `${owner}/${name}`),
  );
  if (newer.length > 0) {
    throw new BackupRefused(
      `the backup's schema is newer than this Orderly (${newer.join(', ')}): restore it with the version that made it`,
    );
  }

  const inUse = [dataDir, options.archiveDir].filter((dir) => fs.existsSync(dir) && fs.readdirSync(dir).length > 0);
  if (inUse.length > 0) {
    if (!options.force)
      throw new BackupRefused(`${inUse.join(' and ')}: not empty; restore into an empty directory, or add --force to replace its data`);
    for (const name of REPLACED) fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
    fs.rmSync(options.archiveDir, { recursive: true, force: true });
    say(`replacing the data in ${inUse.join(' and ')}`);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  // Archive files go wherever the restored shop keeps its archive (ORDERLY_ARCHIVE_DIR).
  const targetOf = (file: string) =>
    file.startsWith(`${ARCHIVE}/`) ? path.join(options.archiveDir, file.slice(ARCHIVE.length + 1)) : path.join(dataDir, file);
  for (const file of manifest.files) {
    const target = targetOf(file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temporary = `${target}.restoring`;
    fs.copyFileSync(path.join(from, file.path), temporary);
    // The key file is readable by its owner only, as it was made.
    if (file.path === manifest.secretKeyFile) fs.chmodSync(temporary, 0o600);
    syncFile(temporary);
    fs.renameSync(temporary, target);
    say(`restored ${file.path}`);
  }
  syncFile(dataDir);
  return manifest;
}
