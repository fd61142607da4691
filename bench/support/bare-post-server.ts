import Fastify from 'fastify';

// The baseline for checkout latency: a bare Fastify POST route that parses the same JSON body and
// answers 202 with a body of the same size, with no database, saga, auth or idempotency.
const app = Fastify();
const reply = JSON.stringify({ id: 'ord_00000000000000000000000000000000', status: 'pending', padding: 'x'.repeat(900) });
app.post('/v1/orders', async (_request, res) => res.status(202).type('application/json').send(reply));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
