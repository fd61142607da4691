import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runOrderly, type OrderlyProcess } from './process.js';
import { httpClient, type HttpClient } from './http.js';

/** A real `orderly payment-sim` child process: the outside world for Orderly's payment adapter. */
export interface PaymentSimProcess {
  url: string;
  http: HttpClient;
  process: OrderlyProcess;
  faults(faults: Record<string, unknown>): Promise<void>;
  stats(key?: string): Promise<any>;
  resetStats(): Promise<void>;
  /** Every charge and refund in the simulator's own ledger. */
  ledger(): Promise<{ kind: string; reference: string; status: string; amount: number }[]>;
  stop(): Promise<void>;
}

/** `env`: more settings for the simulator (its OTEL_* variables, say). */
export async function startPaymentSim(env: Record<string, string> = {}): Promise<PaymentSimProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-sim-'));
  const port = await freePort();
  const child = runOrderly(['payment-sim'], { PORT: String(port), HOST: '127.0.0.1', ORDERLY_DATA_DIR: dataDir, ...env });
  await child.waitForLog('payment-sim listening');
  const url = `http://127.0.0.1:${port}`;
  const http = httpClient(url);
  return {
    url,
    http,
    process: child,
    async faults(faults) {
      const res = await http.post('/admin/faults', faults);
      if (res.status !== 200) throw new Error(`faults not set: ${res.status} ${res.text}`);
    },
    async stats(key) {
      return (await http.get(`/admin/stats${key === undefined ? '' : `?key=${encodeURIComponent(key)}`}`)).body;
    },
    async resetStats() {
      await http.post('/admin/stats/reset', {});
    },
    async ledger() {
      return (await http.get('/v1/ledger')).body.entries;
    },
    async stop() {
      child.child.kill('SIGTERM');
      await child.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
