import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createSecretBox, generateSecretKey, isSealed, keyIdOf, parseSecretKey } from '../../src/platform/secrets/secret-box.js';
import { openSecretBox, SECRET_KEY_FILE } from '../../src/platform/secrets/secret-keys.js';

const silent = pino({ level: 'silent' });

describe('sealed secrets (AES-256-GCM under rotating keys)', () => {
  it('seals as v1:<key id>:<iv>:<tag>:<ciphertext>, a fresh IV each time, and opens it again', () => {
    const key = generateSecretKey();
    const box = createSecretBox(key);
    const a = box.seal('whsec_abc');
    const b = box.seal('whsec_abc');
    expect(a).toMatch(new RegExp(`^v1:${key.id}:[\\w-]+:[\\w-]+:[\\w-]+$`));
    expect(a).not.toBe(b);
    expect(a).not.toContain('abc');
    expect(box.open(a)).toBe('whsec_abc');
    expect(box.isCurrent(a)).toBe(true);
  });

  it('reads keys as hex or base64, with a short hash as their id, and refuses anything not 32 bytes', () => {
    const raw = randomBytes(32);
    expect(parseSecretKey(raw.toString('hex')).key.equals(raw)).toBe(true);
    expect(parseSecretKey(raw.toString('base64')).key.equals(raw)).toBe(true);
    expect(parseSecretKey(raw.toString('base64url')).id).toBe(keyIdOf(raw));
    expect(keyIdOf(raw)).toMatch(/^[0-9a-f]{8}$/);
    for (const bad of ['', 'short', randomBytes(16).toString('base64'), randomBytes(33).toString('hex'), `${raw.toString('base64')}!`])
      expect(() => parseSecretKey(bad)).toThrow(/32 bytes/);
  });

  it('opens with a previous key, seals with the current one, and names a key it does not have', () => {
    const old = generateSecretKey();
    const next = generateSecretKey();
    const sealedOld = createSecretBox(old).seal('whsec_old');
    const rotated = createSecretBox(next, [old]);
    expect(rotated.open(sealedOld)).toBe('whsec_old');
    expect(rotated.isCurrent(sealedOld)).toBe(false);
    expect(rotated.seal('x').startsWith(`v1:${next.id}:`)).toBe(true);
    expect(() => createSecretBox(next).open(sealedOld)).toThrow(new RegExp(`key ${old.id}`));
  });

  it('refuses a sealed value that was altered, and passes a value stored before sealing through as it is', () => {
    const box = createSecretBox(generateSecretKey());
    const sealed = box.seal('whsec_abc');
    const parts = sealed.split(':');
    const flipped = Buffer.from(parts[4]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    parts[4] = flipped.toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow(/altered/);
    expect(isSealed('whsec_plain')).toBe(false);
    expect(box.open('whsec_plain')).toBe('whsec_plain');
  });

  it('digests a request keyed (not a plain hash a password could be guessed from), matching under any known key or a plain SHA-256', () => {
    const old = generateSecretKey();
    const next = generateSecretKey();
    const text = 'POST\n/v1/auth/login\n{"email":"a@b.c","password":"hunter22"}';
    const digest = createSecretBox(old).digest(text);
    expect(digest).toMatch(new RegExp(`^h1:${old.id}:[0-9a-f]{64}$`));
    expect(digest).not.toContain(createHash('sha256').update(text).digest('hex'));
    const rotated = createSecretBox(next, [old]);
    expect(rotated.digestMatches(text, digest)).toBe(true);
    expect(rotated.digestMatches(`${text} `, digest)).toBe(false);
    expect(rotated.digestMatches(text, rotated.digest(text))).toBe(true);
    expect(rotated.digestMatches(text, createHash('sha256').update(text).digest('hex'))).toBe(true);
    expect(rotated.digestMatches(`${text} `, createHash('sha256').update(text).digest('hex'))).toBe(false);
    // Under a key no longer configured it cannot be checked: taken as the same request.
    expect(createSecretBox(next).digestMatches(`${text} `, digest)).toBe(true);
  });

  it('without ORDERLY_SECRET_KEY makes a key file (mode 0600) in the data directory once, reads it after, and as a previous key once a key is set', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-key-'));
    try {
      const warnings: unknown[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
      const first = openSecretBox({ current: null, previous: [] }, dir, logger);
      const file = path.join(dir, SECRET_KEY_FILE);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(warnings).toEqual([
        expect.objectContaining({ generated: true, msg: expect.stringContaining('production must set ORDERLY_SECRET_KEY') }),
      ]);
      const again = openSecretBox({ current: null, previous: [] }, dir, silent);
      expect(again.currentKeyId).toBe(first.currentKeyId);
      expect(again.open(first.seal('whsec_kept'))).toBe('whsec_kept');
      // ORDERLY_SECRET_KEY set later: the file's key still opens, the new key seals.
      const moved = openSecretBox({ current: generateSecretKey(), previous: [] }, dir, silent);
      expect(moved.open(first.seal('whsec_moved'))).toBe('whsec_moved');
      expect(moved.currentKeyId).not.toBe(first.currentKeyId);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes ORDERLY_SECRET_KEY and a comma list of previous keys, and refuses a bad one by name without printing it', () => {
    const [current, old1, old2] = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex'), randomBytes(32).toString('base64')];
    const config = loadConfig({ ORDERLY_SECRET_KEY: current, ORDERLY_SECRET_KEY_PREVIOUS: ` ${old1}, ${old2} ` });
    expect(config.secrets.current?.id).toBe(parseSecretKey(current).id);
    expect(config.secrets.previous.map((k) => k.id)).toEqual([parseSecretKey(old1).id, parseSecretKey(old2).id]);
    const bad = `${current.slice(0, 20)}`;
    let error: unknown;
    try {
      loadConfig({ ORDERLY_SECRET_KEY_PREVIOUS: `${old1},${bad}` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('ORDERLY_SECRET_KEY_PREVIOUS');
    expect((error as Error).message).not.toContain(bad);
  });
});
