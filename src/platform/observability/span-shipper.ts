import { Worker } from 'node:worker_threads';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { threadEntry } from '../thread-entry.js';
import { recordOf, type ExportThreadData, type FromShipper, type SpanRecord, type ToShipper } from './span-records.js';

/** Spans per batch, and how long a batch may wait to fill. */
const BATCH_SIZE = 128;
const BATCH_DELAY_MS = 200;
/** Batches the thread may have in hand before new spans are dropped (a collector that cannot keep up). */
const MAX_BATCHES_IN_FLIGHT = 64;

/**
 * A span processor that ships finished spans, as plain records in batches, to an export thread
 * (`span-export-thread.ts`), which serialises and sends them. What stays on the event loop is copying a
 * span's fields: turning spans into OTLP and writing them to a socket cost a tenth of an order's CPU here.
 */
export class SpanShipper implements SpanProcessor {
  private readonly thread: Worker;
  private batch: SpanRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private nextBatch = 0;
  private inFlight = 0;
  private nextRequest = 0;
  private readonly waiting = new Map<number, () => void>();
  private closed = false;
  /** Spans dropped because the thread had too many batches in hand. */
  dropped = 0;

  constructor(data: ExportThreadData) {
    this.thread = new Worker(threadEntry(import.meta.url, 'span-export-thread'), { workerData: data, name: 'span-export' });
    this.thread.on('message', (message: ToShipper) => {
      if (message.kind === 'exported') this.inFlight -= 1;
      else {
        this.waiting.get(message.request)?.();
        this.waiting.delete(message.request);
      }
    });
    this.thread.unref();
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & 1) === 0) return;
    this.batch.push(recordOf(span));
    if (this.batch.length >= BATCH_SIZE) this.ship();
    else this.timer ??= setTimeout(() => this.ship(), BATCH_DELAY_MS).unref();
  }

  forceFlush(): Promise<void> {
    this.ship();
    return this.ask('flush');
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.ship();
    this.closed = true;
    await this.ask('shutdown');
    await this.thread.terminate();
  }

  private ship(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    const spans = this.batch;
    this.batch = [];
    if (this.inFlight >= MAX_BATCHES_IN_FLIGHT) {
      this.dropped += spans.length;
      return;
    }
    this.inFlight += 1;
    this.post({ kind: 'spans', batch: this.nextBatch++, spans });
  }

  private ask(kind: 'flush' | 'shutdown'): Promise<void> {
    const request = this.nextRequest++;
    // Referenced while it is asked: a process whose last work is this wait must not end before the answer.
    this.thread.ref();
    return new Promise<void>((resolve) => {
      this.waiting.set(request, resolve);
      this.post({ kind, request });
    }).finally(() => {
      if (this.waiting.size === 0) this.thread.unref();
    });
  }

  private post(message: FromShipper): void {
    this.thread.postMessage(message);
  }
}
