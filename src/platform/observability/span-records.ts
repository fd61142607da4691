import type { Attributes, HrTime, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-node';

/** A finished span as it crosses to the export thread: plain data, cheap to clone. */
export interface SpanRecord {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  traceFlags: number;
  parentSpanId?: string;
  parentIsRemote?: boolean;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  status: SpanStatus;
  attributes: Attributes;
  events: TimedEvent[];
  droppedAttributesCount: number;
  droppedEventsCount: number;
}

export interface ExportThreadData {
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  serviceVersion: string;
  scopeName: string;
}

export type FromShipper =
  | { kind: 'spans'; batch: number; spans: SpanRecord[] }
  | { kind: 'flush'; request: number }
  | { kind: 'shutdown'; request: number };

export type ToShipper = { kind: 'exported'; batch: number } | { kind: 'flushed'; request: number };

export function recordOf(span: ReadableSpan): SpanRecord {
  const { traceId, spanId, traceFlags } = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    name: span.name,
    kind: span.kind,
    traceId,
    spanId,
    traceFlags,
    ...(parent ? { parentSpanId: parent.spanId, parentIsRemote: parent.isRemote ?? false } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    status: span.status,
    attributes: span.attributes,
    events: span.events,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
  };
}
