import { randomBytes } from 'node:crypto';

/**
 * Request ids unique across processes and restarts, in UUID form (version 8, RFC 9562): this process's
 * random first 80 bits, then a counter. A random UUID per request cost more than 1 µs of a cached
 * product read (bench:read).
 */
export class RequestIds {
  private readonly prefix: string;
  private count = 0;

  constructor() {
    const bytes = randomBytes(10);
    bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
    const hex = bytes.toString('hex');
    this.prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
  }

  next(): string {
    this.count += 1;
    return this.prefix + this.count.toString(16).padStart(12, '0');
  }
}
