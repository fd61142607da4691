import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes.js';

/** A real nats-server with JetStream on loopback, its store in a directory of its own, that can be killed and started again. */
export interface NatsServer {
  url: string;
  port: number;
  pid(): number | undefined;
  /** kill -9; the store stays, so a restart finds the stream as it was. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
}

export async function startNatsServer(port?: number): Promise<NatsServer> {
  const chosen = port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-nats-'));
  let child: ChildProcess | null = null;
  const server: NatsServer = {
    url: `nats://127.0.0.1:${chosen}`,
    port: chosen,
    pid: () => child?.pid,
    async start() {
      child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(chosen), '-sd', path.join(dir, 'store'), '-l', path.join(dir, 'nats.log')], {
        stdio: 'ignore',
      });
      await listening(chosen, 20_000);
    },
    async kill() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGKILL');
      });
    },
    async stop() {
      await server.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
