import Fastify from 'fastify';

// The baseline: a bare Fastify route answering the same bytes Orderly answers, with no database,
// auth, logging or metrics. The body arrives on stdin so both sides send identical payloads.
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;

const app = Fastify();
app.get('/v1/products/:id', async () => body);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
