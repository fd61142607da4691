import http from 'node:http';
import type net from 'node:net';

/** A span as OTLP/JSON carries it, with the service.name of the process that sent it. */
export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** A real OTLP/HTTP receiver on loopback: what Orderly's exporter posts to /v1/traces, kept as it came. */
export interface OtlpCollector {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Every export request: its content type and raw body. */
  requests: { contentType: string; body: Buffer }[];
  /** The spans of every http/json export so far. */
  spans(): CollectedSpan[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

function plainValue(v: AnyValue): unknown {
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
}

const attributesOf = (list: KeyValue[] = []) => Object.fromEntries(list.map((a) => [a.key, plainValue(a.value)]));

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const requests: OtlpCollector['requests'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (request.url === '/v1/traces' && request.method === 'POST') {
        requests.push({ contentType: String(request.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
      }
      const json = String(request.headers['content-type']).includes('json');
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans() {
      const spans: CollectedSpan[] = [];
      for (const r of requests.filter((q) => q.contentType.includes('json'))) {
        const body = JSON.parse(r.body.toString('utf8')) as {
          resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { spans: any[] }[] }[];
        };
        for (const rs of body.resourceSpans) {
          const service = String(attributesOf(rs.resource.attributes)['service.name']);
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                kind: s.kind,
                attributes: attributesOf(s.attributes),
              });
        }
      }
      return spans;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
