import path from 'node:path';
import { createPaymentSim } from './server.js';
import { createLogger } from '../platform/observability/logger.js';
import { startTracing, type TracingHandle } from '../platform/observability/tracing.js';
import { VERSION } from '../version.js';

export const PAYMENT_SIM_DEFAULT_PORT = 4100;

/**
 * `orderly payment-sim`: runs until SIGTERM/SIGINT. Reads PORT (default 4100, so it can sit beside
 * Orderly's 3000), HOST and ORDERLY_DATA_DIR (the ledger is `payment-sim.db` there).
 */
export async function runPaymentSim(env: NodeJS.ProcessEnv): Promise<number> {
  const port = env.PORT === undefined || env.PORT === '' ? PAYMENT_SIM_DEFAULT_PORT : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('invalid configuration:\n  PORT: must be an integer from 0 to 65535\n');
    return 2;
  }
  const host = env.HOST || '127.0.0.1';
  const ledger = path.join(path.resolve(env.ORDERLY_DATA_DIR || './data'), 'payment-sim.db');
  const tracing = tracingOf(env);
  const sim = createPaymentSim(ledger, createLogger(env.LOG_LEVEL || (tracing ? 'info' : 'warn')));
  const address = await sim.listen(port, host);
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'payment-sim listening', address, ledger })}\n`);
  const stop = () => {
    sim
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return 0;
}

/** The standard OTEL_* variables, as Orderly reads them; the simulator's spans are service orderly-payment-sim unless OTEL_SERVICE_NAME says otherwise. */
function tracingOf(env: NodeJS.ProcessEnv): TracingHandle | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return null;
  const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? 'http/json' : 'http/protobuf';
  return startTracing({ endpoint, protocol, serviceName: 'orderly-payment-sim', serviceVersion: VERSION });
}
