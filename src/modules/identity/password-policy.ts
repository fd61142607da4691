import { commonPasswordList } from './common-passwords.js';

export const MIN_PASSWORD_LENGTH = 8;

// Built on first use: a process that never signs anyone up (a worker) does not hold the list.
let common: Set<string> | null = null;

/**
 * True when a password is among the most common ones in leaked-password corpora (case-insensitively): the
 * first ones an attacker tries. Length is the route schema's to check.
 */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(commonPasswordList.split('\n'));
  return common.has(password.normalize('NFKC').trim().toLowerCase());
}
