import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SpanShipper } from './span-shipper.js';

export { SpanKind } from '@opentelemetry/api';
export type { Span, Context } from '@opentelemetry/api';

export const TRACE_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type TraceProtocol = (typeof TRACE_PROTOCOLS)[number];

export interface TracingOptions {
  /** Given by OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT; the exporter reads them itself. */
  endpoint: string;
  protocol: TraceProtocol;
  /** Used when OTEL_SERVICE_NAME is not set. */
  serviceName: string;
  serviceVersion: string;
}

export interface TracingHandle {
  /** Sends what is buffered; called on shutdown so the last spans are not lost. */
  shutdown(): Promise<void>;
}

let provider: NodeTracerProvider | null = null;
const TRACER_NAME = 'orderly';
const tracer = trace.getTracer(TRACER_NAME);
const propagator = new W3CTraceContextPropagator();

/**
 * Registers the process's one tracer provider, exporting over OTLP/HTTP in batches. Without it every
 * helper here is a plain function call that does nothing: no spans, no context switches, no headers.
 */
export function startTracing(options: TracingOptions): TracingHandle {
  if (provider) throw new Error('tracing started twice in one process');
  // The resource (service name and version, OTEL_RESOURCE_ATTRIBUTES) is the export thread's to add.
  const shipper = new SpanShipper({
    protocol: options.protocol,
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    scopeName: TRACER_NAME,
  });
  const started = new NodeTracerProvider({ spanProcessors: [shipper] });
  started.register({ propagator });
  provider = started;
  return {
    async shutdown() {
      await started.shutdown();
      if (provider === started) provider = null;
    },
  };
}

export function tracingEnabled(): boolean {
  return provider !== null;
}

/** The W3C `traceparent` of the span now active, to carry across a queue or a request; undefined when not tracing. */
export function currentTraceparent(): string | undefined {
  if (provider === null) return undefined;
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, { set: (c, k, v) => void (c[k] = v) });
  return carrier.traceparent;
}

/** The context a `traceparent` stands for, as the parent of spans begun from it (the root context without one). */
export function contextFrom(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, { get: (c, k) => c[k as 'traceparent'], keys: () => ['traceparent'] });
}

/** A span's own `traceparent`, for the header of the request it stands for. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-0${traceFlags & 1}`;
}

/** Starts a span under `parent` (the active context when not given); null when not tracing. */
export function beginSpan(name: string, kind: SpanKind, attributes: Attributes, parent?: Context): Span | null {
  if (provider === null) return null;
  return tracer.startSpan(name, { kind, attributes }, parent ?? context.active());
}

/** Ends a span begun with beginSpan, marked failed when `error` is given. */
export function endSpan(span: Span | null, error?: unknown, attributes?: Attributes): void {
  if (span === null) return;
  if (attributes) span.setAttributes(attributes);
  if (error !== undefined) fail(span, error);
  span.end();
}

function fail(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** A span for something already finished (timed by someone else), under the active span. */
export function recordSpan(name: string, startMs: number, endMs: number, attributes: Attributes, error?: unknown): void {
  if (provider === null) return;
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: startMs }, context.active());
  if (error !== undefined) fail(span, error);
  span.end(endMs);
}

/**
 * Runs `fn` inside a new active span (under `parent`, or the active context), ended when `fn` settles.
 * `expected` names the errors that are outcomes rather than failures (a deferral): given the attributes
 * it returns, the span ends with them instead of an exception and its stack.
 */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: (span: Span | null) => Promise<T>,
  parent?: Context,
  expected?: (error: unknown) => Attributes | null,
): Promise<T> {
  if (provider === null) return fn(null);
  const span = tracer.startSpan(name, { kind, attributes }, parent ?? context.active());
  try {
    return await context.with(trace.setSpan(parent ?? context.active(), span), () => fn(span));
  } catch (error) {
    const outcome = expected?.(error);
    if (outcome) span.setAttributes(outcome);
    else fail(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The context in which `span` is active under `parent`: what runs in it starts, logs or publishes under that span. */
export function contextWith(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span);
}

/** Runs `fn` in `active` (a callback's chain that crossed a stream event, for one, gets its context back). */
export function runIn<T>(active: Context, fn: () => T): T {
  return context.with(active, fn);
}

/** traceId and spanId of the active span, for every log line written inside a request or a handler. */
export function activeTraceFields(): { traceId?: string; spanId?: string } {
  if (provider === null) return {};
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/** The extraction of an incoming request's context from its headers. */
export function contextOfHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}
