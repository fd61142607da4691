import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// What the test suites and the benchmarks share to run Orderly, and the processes around it, for real.

/** The repository, whether this file runs from its TypeScript source or from dist/. */
export const root = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'bin', 'orderly.js'))) dir = path.dirname(dir);
  return dir;
})();
export const BIN = path.join(root, 'bin', 'orderly.js');

/** A free loopback port (the OS picks it; a child binds it right after), so a restarted server can come back on the same address. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An `orderly` child process with its output collected line by line. */
export interface OrderlyProcess {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export function runOrderly(args: string[], env: Record<string, string>): OrderlyProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ORDERLY_RATE_LIMITS: 'off', ORDERLY_DEMO: 'false', ORDERLY_LOAD_SHEDDING: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      for (const w of waiters.filter((w) => w.msg === parsed.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    waitForLog(msg, timeoutMs = 20_000) {
      const seen = lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${msg}" log within ${timeoutMs} ms; output:\n${lines.join('\n')}\n${stderr.join('')}`)),
          timeoutMs,
        );
        waiters.push({
          msg,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited before "${msg}"; output:\n${lines.join('\n')}\n${stderr.join('')}`));
        });
      });
    },
  };
}

/** Starts `orderly start` and resolves once it listens. */
export async function startServer(env: Record<string, string>): Promise<OrderlyProcess> {
  const server = runOrderly(['start'], env);
  await server.waitForLog('orderly listening');
  return server;
}

/**
 * Starts a server child whose stdout goes to a file (reading it would load the measuring process), and
 * waits until `url` answers.
 */
export async function startLoggedServer(args: string[], env: Record<string, string>, url: string, logFile: string): Promise<ChildProcess> {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ORDERLY_DEMO: 'false', ...env }, stdio: ['ignore', out, 'inherit'], cwd: root });
  fs.closeSync(out);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(url)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${url} did not answer within 30 s; see ${logFile}`);
}

/** Starts a child and resolves with the first line on stdout that `ready` maps to a value. */
export function startChild(
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => string | null,
  stdin?: string,
): Promise<{ child: ChildProcess; value: string }> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ORDERLY_DEMO: 'false', ...env }, stdio: ['pipe', 'pipe', 'inherit'], cwd: root });
  child.stdin!.end(stdin ?? '');
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (const line of buffer.split('\n')) {
        const value = ready(line);
        if (value !== null) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          return resolve({ child, value });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}
