import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { runOrderly } from '../support/process.js';

describe.each(databaseKinds)('the orderly binary on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(() => database.drop());

  it('migrates a fresh database, and a second run has nothing to do', async () => {
    const first = runOrderly(['migrate'], { ...database.env, LOG_LEVEL: 'warn' });
    expect(await first.exited).toBe(0);
    expect(first.lines.join('\n')).toMatch(/^[1-9]\d* migration\(s\) applied$/m);
    const second = runOrderly(['migrate'], { ...database.env, LOG_LEVEL: 'warn' });
    expect(await second.exited).toBe(0);
    expect(second.lines.join('\n')).toMatch(/^0 migration\(s\) applied$/m);
  });

  it('starts with the admin from the environment, and on SIGTERM finishes in-flight requests before exiting 0', async () => {
    const server = runOrderly(['start'], {
      ...database.env,
      PORT: '0',
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: 'ops@orderly.test',
      ORDERLY_ADMIN_PASSWORD: 'ops-password-1',
    });
    try {
      const listening = await server.waitForLog('orderly listening');
      const http = httpClient(String(listening.address));
      expect((await http.get('/healthz')).status).toBe(200);
      const admin = await http.post('/v1/auth/login', { email: 'ops@orderly.test', password: 'ops-password-1' });
      expect(admin.body.user.role).toBe('admin');

      // Signup spends ~100 ms hashing the password: it is still running when the signal lands.
      const inFlight = http.post('/v1/auth/signup', { email: 'late@orderly.test', password: 'late-password', name: 'Late' });
      await new Promise((r) => setTimeout(r, 30));
      server.child.kill('SIGTERM');
      expect((await inFlight).status).toBe(201);
      expect(await server.exited).toBe(0);
      await server.waitForLog('stopped cleanly');
      await expect(http.get('/healthz')).rejects.toThrow();
      // The log never carries the password or the token.
      const log = server.lines.join('\n');
      expect(log).not.toContain('ops-password-1');
      expect(log).not.toContain(admin.body.token);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});

describe('the orderly binary', () => {
  it('refuses bad configuration with exit code 2 and names the variable', async () => {
    const run = runOrderly(['start'], { PORT: 'not-a-port', ORDERLY_DATA_DIR: '/tmp/orderly-never-used' });
    expect(await run.exited).toBe(2);
    expect(run.stderr.join('')).toContain('PORT');
  });

  it('prints usage with every setting', async () => {
    const run = runOrderly(['help'], {});
    expect(await run.exited).toBe(0);
    const text = run.lines.join('\n');
    for (const word of [
      'start',
      'migrate',
      'PORT',
      'HOST',
      'ORDERLY_DATA_DIR',
      'DATABASE_URL',
      'ORDERLY_ADMIN_EMAIL',
      'ORDERLY_ADMIN_PASSWORD',
    ])
      expect(text).toContain(word);
  });
});
