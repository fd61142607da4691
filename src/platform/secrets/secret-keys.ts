import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import { createSecretBox, generateSecretKey, parseSecretKey, type SecretBox, type SecretKey } from './secret-box.js';

/** The embedded default's key, generated on first start when ORDERLY_SECRET_KEY is not set. */
export const SECRET_KEY_FILE = 'secret.key';

/** ORDERLY_SECRET_KEY and ORDERLY_SECRET_KEY_PREVIOUS, parsed; `current` null means the key file. */
export interface SecretKeySettings {
  current: SecretKey | null;
  previous: SecretKey[];
}

/**
 * The box that seals stored secrets: under ORDERLY_SECRET_KEY, or else under the data directory's key file,
 * made (mode 0600) on first start (a key file left beside ORDERLY_SECRET_KEY is read as a previous key). The key file is for trying Orderly on one machine: it sits beside the
 * data it protects and every process must share it, so a warning says production must set a key.
 */
export function openSecretBox(settings: SecretKeySettings, dataDir: string, logger: Logger): SecretBox {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  if (settings.current) {
    // Moving from the key file to ORDERLY_SECRET_KEY: the file's key still opens what it sealed, until
    // `orderly rotate-secret-key` has moved everything and the file is deleted.
    const fileKey = fs.existsSync(file) ? [readKeyFile(file)] : [];
    return createSecretBox(settings.current, [...settings.previous, ...fileKey]);
  }
  const { key, generated } = readOrCreateKeyFile(file);
  logger.warn(
    { keyFile: file, keyId: key.id, generated },
    'stored secrets are encrypted under a key file in the data directory; production must set ORDERLY_SECRET_KEY',
  );
  return createSecretBox(key, settings.previous);
}

function readOrCreateKeyFile(file: string): { key: SecretKey; generated: boolean } {
  if (fs.existsSync(file)) return { key: readKeyFile(file), generated: false };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = generateSecretKey();
  const partial = `${file}.${randomBytes(8).toString('hex')}.partial`;
  fs.writeFileSync(partial, `${key.key.toString('base64')}\n`, { mode: 0o600 });
  const fd = fs.openSync(partial, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  try {
    // A link fails when the name exists: of processes starting together, one key wins and all read it.
    fs.linkSync(partial, file);
    return { key: readKeyFile(file), generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readKeyFile(file), generated: false };
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

function readKeyFile(file: string): SecretKey {
  try {
    return parseSecretKey(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
