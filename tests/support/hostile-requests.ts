import http from 'node:http';
import fc from 'fast-check';
import { pathValue, validBodies, type Operation, type Shop } from './api-surface.js';

/** One request as the fuzz suite builds it: everything a client controls, bytes included. */
export interface HostileRequest {
  method: string;
  /** Path and query, already encoded as sent. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** Sends the request exactly as built (node:http lets through what fetch would refuse to send). */
export function send(baseUrl: string, request: HostileRequest): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.target, headers: request.headers, agent: false },
      (response) => {
        const contentType = String(response.headers['content-type'] ?? '');
        if (contentType.startsWith('text/event-stream')) {
          // A live stream ends only when what it follows ends (an order's final status): its answer is the head.
          resolve({ status: response.statusCode ?? 0, contentType, text: '' });
          response.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('no answer within 30 s')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** The request as a `curl` line, to reproduce a shrunk failure by hand. */
export function asCurl(baseUrl: string, request: HostileRequest): string {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const parts = ['curl', '-i', '-X', request.method];
  for (const [name, value] of Object.entries(request.headers)) parts.push('-H', quote(`${name}: ${value}`));
  if (request.body !== undefined) {
    const text = request.body.toString('utf8');
    parts.push('--data-binary', Buffer.from(text, 'utf8').equals(request.body) ? quote(text) : `$'${escapeBytes(request.body)}'`);
  }
  parts.push(quote(`${baseUrl}${request.target}`));
  return parts.join(' ');
}

function escapeBytes(bytes: Buffer): string {
  return [...bytes]
    .map((b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
    .join('');
}

const oddStrings = fc.constantFrom(
  '',
  ' ',
  '.',
  '..',
  '%',
  '%00',
  '\u0000',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '-9007199254740993',
  '99999999999999999999999',
  '0x1F',
  '__proto__',
  'constructor',
  'prototype',
  "' OR 1=1 --",
  '"; DROP TABLE orders; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '\u202e\u0301\ud83d\ude00',
  'ord_',
  `ord_${'f'.repeat(32)}`,
  `prd_${'0'.repeat(32)}`,
  'a'.repeat(101),
  'a'.repeat(3000),
);

/** Strings a client might put anywhere: odd ones, random unicode, and some long ones. */
const anyText = fc.oneof(
  { weight: 3, arbitrary: oddStrings },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

/** Values of the wrong type, or the right type at an extreme, for any field of a body. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  anyText,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, [], {}, [null], { __proto__: { polluted: true } }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
  fc.nat({ max: 3000 }).map((depth) => nest(depth)),
);

function nest(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'drop'; at: number }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'whole'; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('extra' as const),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin', 'role', 'userId', 'id', 'status'), fc.string()),
    value: anyValue,
  }),
  fc.record({ kind: fc.constant('whole' as const), value: anyValue }),
);

/** Every place inside a JSON value a mutation can touch, as parent and key. */
function slots(value: unknown, out: { parent: any; key: string | number }[] = []): { parent: any; key: string | number }[] {
  if (value === null || typeof value !== 'object') return out;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
  for (const [key, item] of entries) {
    out.push({ parent: value, key });
    slots(item, out);
  }
  return out;
}

function mutate(valid: unknown, change: Mutation): string {
  const body = structuredClone(valid) as any;
  if (change.kind === 'whole') return JSON.stringify(change.value) ?? 'null';
  if (change.kind === 'extra') {
    // JSON.stringify drops a __proto__ own key set by assignment; build the text so the key is really sent.
    const text = JSON.stringify(body ?? {});
    const extra = `${JSON.stringify(change.key)}:${JSON.stringify(change.value) ?? 'null'}`;
    return text === '{}' ? `{${extra}}` : text.startsWith('{') ? `{${extra},${text.slice(1)}` : text;
  }
  const places = slots(body);
  if (places.length === 0) return JSON.stringify(body);
  const place = places[change.at % places.length]!;
  if (change.kind === 'drop') {
    if (Array.isArray(place.parent)) place.parent.splice(place.key as number, 1);
    else delete place.parent[place.key];
  } else place.parent[place.key] = change.value;
  return JSON.stringify(body);
}

const rawBodies = fc.constantFrom(
  '{',
  '{"a":',
  '[',
  ']',
  '{"a":1,}',
  "{'a':1}",
  'null',
  '"text"',
  '12',
  'true',
  '{"__proto__":{"role":"admin"}}',
  '{"constructor":{"prototype":{"role":"admin"}}}',
  '\ufeff{}',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `{"a":"${'x'.repeat(200_000)}"}`,
);

const invalidUtf8 = fc.constantFrom(
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0x7b, 0x22, 0xf0, 0x28, 0x8c, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json;;',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '*/*',
  'garbage',
  '',
  undefined,
);

const conditionalValues = fc.constantFrom(
  '*',
  '"1"',
  'W/"1"',
  '"',
  '""',
  'garbage',
  '"-1"',
  '"99999999999999999999"',
  '',
  ' ',
  '"1", "2"',
  'W/',
  '\u00ff',
);

const idempotencyKeys = fc.oneof(
  fc.constantFrom('', ' ', '\u00e9t\u00e9', 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(8000), '\t'),
  fc.string({ minLength: 1, maxLength: 40 }),
);

const queryValue = fc.oneof(
  anyText,
  fc.constantFrom('1', '20', '100', '101', '0', '-1', '1.5', '1e3', 'Infinity', '', 'true', '[]', '{}'),
  fc.integer().map(String),
);

function headerSafe(value: string): string {
  // What node:http refuses to send at all is not a request the server can receive.
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** Requests aimed at one operation: path, query, headers and body each valid, odd or hostile. */
export function hostileRequests(operation: Operation, shop: Shop, password: string): fc.Arbitrary<HostileRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const valid = validBodies[operation.name]?.(shop, password);

  const path = fc
    .tuple(...pathParams.map(() => fc.oneof(fc.constant(null), anyText, fc.constantFrom('%zz', '%E0%A4%A', 'a%2Fb', '%2e%2e'))))
    .map((values) => {
      let i = 0;
      return operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = values[i++];
        if (value === null || value === undefined) return encodeURIComponent(pathValue(shop, operation.path, name));
        // Pre-encoded oddities go as they are; anything else is encoded as a client would.
        return /^[\w%.-]*$/.test(value) && value.includes('%') ? value : encodeURIComponent(value);
      });
    });

  const query = fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(queryParams.length ? queryParams : ['q'])) }, fc.string({ maxLength: 10 })),
        queryValue,
      ),
      { maxLength: 4 },
    )
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`));

  const body: fc.Arbitrary<Buffer | undefined> = fc.oneof(
    { weight: valid === undefined ? 1 : 0, arbitrary: fc.constant(undefined) },
    { weight: valid === undefined ? 0 : 1, arbitrary: fc.constant(Buffer.from(JSON.stringify(valid ?? null))) },
    { weight: 4, arbitrary: mutation.map((m) => Buffer.from(mutate(valid ?? {}, m))) },
    { weight: 1, arbitrary: rawBodies.map((text) => Buffer.from(text)) },
    { weight: 1, arbitrary: invalidUtf8 },
  );

  return fc
    .record({
      path,
      query,
      body,
      contentType: contentTypes,
      idempotencyKey: fc.option(idempotencyKeys, { nil: undefined }),
      ifMatch: fc.option(conditionalValues, { nil: undefined }),
      ifNoneMatch: fc.option(conditionalValues, { nil: undefined }),
      extraHeader: fc.option(
        fc.tuple(fc.constantFrom('x-forwarded-for', 'x-request-id', 'accept', 'accept-encoding', 'traceparent'), anyText),
        {
          nil: undefined,
        },
      ),
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.body !== undefined && r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = headerSafe(r.idempotencyKey);
      if (r.ifMatch !== undefined) headers['if-match'] = headerSafe(r.ifMatch);
      if (r.ifNoneMatch !== undefined) headers['if-none-match'] = headerSafe(r.ifNoneMatch);
      if (r.extraHeader !== undefined) headers[r.extraHeader[0]] = headerSafe(r.extraHeader[1]).slice(0, 8000);
      return { method: operation.method, target: `${r.path}${r.query}`, headers, body: r.body };
    });
}
