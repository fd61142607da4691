import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newSecret, sign, signatureHeader } from '../../src/modules/webhooks/signing.js';

// The vector every Standard Webhooks reference implementation is tested against.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('webhook signing', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('signs with every secret in use during a rotation, space-separated, each verifiable alone', () => {
    const old = newSecret();
    const header = signatureHeader([VECTOR.secret, old], VECTOR.id, VECTOR.timestamp, VECTOR.body);
    expect(header.split(' ')).toEqual([VECTOR.signature, sign(old, VECTOR.id, VECTOR.timestamp, VECTOR.body)]);
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': '' };
    headers['webhook-signature'] = signatureHeader([VECTOR.secret, old], VECTOR.id, Number(headers['webhook-timestamp']), VECTOR.body);
    for (const secret of [VECTOR.secret, old]) expect(new Webhook(secret).verify(VECTOR.body, headers)).toEqual({ test: 2432232314 });
  });

  it('makes secrets as Standard Webhooks writes them: whsec_ and 24 random bytes in base64', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newSecret()).not.toBe(secret);
  });
});
