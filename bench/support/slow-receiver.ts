// A webhook receiver that answers every POST after SLOW_MS, in a process of its own so its 10,000 open
// requests load neither Orderly's event loop nor the benchmark's fast receiver. GET /stats reports them.
import http from 'node:http';

const SLOW_MS = Number(process.env.SLOW_MS ?? 2000);
let open = 0;
let peak = 0;
let received = 0;
const server = http.createServer((request, response) => {
  if (request.method === 'GET') {
    const stats = { open, peak, received };
    if (request.url === '/stats/reset') peak = open;
    return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
  }
  request.resume().on('end', () => {
    received += 1;
    open += 1;
    peak = Math.max(peak, open);
    setTimeout(() => {
      open -= 1;
      response.writeHead(204).end();
    }, SLOW_MS);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(Number(process.env.PORT), '127.0.0.1', 4096, () => process.stdout.write('slow receiver listening\n'));
