import { session } from './api.js';

/**
 * Follows `GET /v1/orders/{id}/events` (text/event-stream). EventSource cannot send a bearer token, so this
 * reads the stream with fetch. Calls `onEntry` per timeline event; resolves when the server ends the stream
 * (after the order's final status) and rejects when the connection drops, so the caller can reconnect.
 */
export async function followOrder(orderId: string, onEntry: () => void, signal: AbortSignal): Promise<void> {
  const token = session.get()?.token;
  const response = await fetch(`/v1/orders/${encodeURIComponent(orderId)}/events`, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    signal,
  });
  if (!response.ok || !response.body) throw new Error(`The order's live status answered ${response.status}.`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^event: timeline$/m.test(event)) onEntry();
      end = buffer.indexOf('\n\n');
    }
  }
}
