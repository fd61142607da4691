import { parentPort, workerData } from 'node:worker_threads';
import type { SpanContext } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { ExportThreadData, FromShipper, SpanRecord, ToShipper } from './span-records.js';

// The exporting half of tracing, on its own thread: it turns the records the process ships into OTLP
// and sends them, so serialising and sending spans never takes the event loop's time.
const { protocol, serviceName, serviceVersion, scopeName } = workerData as ExportThreadData;
// The exporter reads its endpoint and headers from the environment, which threads share.
const exporter = protocol === 'http/json' ? new JsonExporter() : new ProtobufExporter();
const resource = resourceFromAttributes({ 'service.name': serviceName, 'service.version': serviceVersion }).merge(
  detectResources({ detectors: [envDetector] }),
);
const instrumentationScope = { name: scopeName };

function readable(record: SpanRecord): ReadableSpan {
  const context: SpanContext = { traceId: record.traceId, spanId: record.spanId, traceFlags: record.traceFlags };
  return {
    name: record.name,
    kind: record.kind,
    spanContext: () => context,
    ...(record.parentSpanId === undefined
      ? {}
      : {
          parentSpanContext: {
            traceId: record.traceId,
            spanId: record.parentSpanId,
            traceFlags: record.traceFlags,
            isRemote: record.parentIsRemote,
          },
        }),
    startTime: record.startTime,
    endTime: record.endTime,
    duration: record.duration,
    ended: true,
    status: record.status,
    attributes: record.attributes,
    links: [],
    events: record.events,
    resource,
    instrumentationScope,
    droppedAttributesCount: record.droppedAttributesCount,
    droppedEventsCount: record.droppedEventsCount,
    droppedLinksCount: 0,
  };
}

const reply = (message: ToShipper) => parentPort!.postMessage(message);

parentPort!.on('message', (message: FromShipper) => {
  switch (message.kind) {
    case 'spans':
      // Settled either way: a collector that is down loses these spans, never the process's memory.
      exporter.export(message.spans.map(readable), () => reply({ kind: 'exported', batch: message.batch }));
      break;
    case 'flush':
      void exporter.forceFlush().finally(() => reply({ kind: 'flushed', request: message.request }));
      break;
    case 'shutdown':
      void exporter.shutdown().finally(() => reply({ kind: 'flushed', request: message.request }));
      break;
  }
});
