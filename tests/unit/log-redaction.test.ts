import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/observability/logger.js';

function capture(log: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => lines.push(line) });
  log(logger);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('log redaction by name', () => {
  it('censors fields named like a secret at any depth and in arrays, and leaves the rest alone', () => {
    const line = capture((l) =>
      l.info(
        {
          orderId: 'ord_1',
          paymentToken: 'tok_visa',
          body: { password: 'hunter22', email: 'a@b.c', nested: { webhookSecret: 'whsec_x', Authorization: 'Bearer abc' } },
          endpoints: [{ id: 'whe_1', signing_secret: 'whsec_y' }],
          headers: { cookie: 'sid=1', 'x-api-key': 'k', 'content-type': 'application/json' },
          card: { number: '4242' },
          tokens: 3,
          hasPassword: true,
        },
        'something happened',
      ),
    );
    expect(line).toMatchObject({
      orderId: 'ord_1',
      paymentToken: '[redacted]',
      body: { password: '[redacted]', email: 'a@b.c', nested: { webhookSecret: '[redacted]', Authorization: '[redacted]' } },
      endpoints: [{ id: 'whe_1', signing_secret: '[redacted]' }],
      headers: { cookie: '[redacted]', 'x-api-key': '[redacted]', 'content-type': 'application/json' },
      card: '[redacted]',
      tokens: 3,
      hasPassword: true,
      msg: 'something happened',
    });
    expect(JSON.stringify(line)).not.toMatch(/tok_visa|hunter22|whsec_|Bearer abc|sid=1|4242/);
  });

  it("does not change the caller's object, and keeps the demo password printed on purpose", () => {
    const logged = { user: { token: 'abc' } };
    capture((l) => l.info(logged, 'x'));
    expect(logged.user.token).toBe('abc');
    expect(capture((l) => l.info({ email: 'demo@orderly.local', demoPassword: 'demo-pass' }, 'demo shop opened'))).toMatchObject({
      demoPassword: 'demo-pass',
    });
  });

  it('leaves errors to their serializer (not walked) and still censors serialized request headers', () => {
    const line = capture((l) => l.error({ err: new Error('boom'), req: { headers: { authorization: 'Bearer zzz' } } }, 'failed'));
    expect((line.err as { message: string }).message).toBe('boom');
    expect(JSON.stringify(line)).not.toContain('zzz');
  });
});
