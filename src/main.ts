import { ConfigError, describeSettings, loadConfig, type Config } from './config.js';
import { buildCore, createOrderly, migrate, type Core } from './app.js';
import { formatReport, verifyInvariants } from './verify.js';
import { createLogger, type Logger } from './platform/observability/logger.js';
import { VERSION } from './version.js';
import { runPaymentSim } from './payment-sim/command.js';
import { createProgress } from './platform/cli/progress.js';
import { seedCatalog } from './seed/seed.js';
import { formatStory, orderStory } from './order-story.js';
import { startTracing } from './platform/observability/tracing.js';
import { demoWanted, openDemoShop } from './seed/demo-shop.js';
import { archiveCommand } from './archive/commands.js';
import { backupCommand, reconcileCommand, restoreCommand } from './backup/commands.js';
import { rotateSecretKeyCommand } from './rotate-secret-key.js';
import { recordAudit, SYSTEM_ACTOR } from './platform/audit/audit-log.js';
import type { Executor } from './platform/db/database.js';
import { existsSync } from 'node:fs';
import path from 'node:path';

const USAGE = `orderly ${VERSION} — a failure-first commerce backend

Usage: orderly <command>

Commands:
  start                  start the server (role from ORDERLY_ROLE; default all-in-one)
  migrate                apply pending database migrations and exit
  verify                 check the invariants (stock, charges, outcomes, messages); exit 1 on any violation
  trace <order id>       the order's story from the database: timeline, saga steps, payment attempts,
                         messages handled by each group, webhook attempts, and its trace id
  dlq list               list dead-lettered messages
  dlq redrive <id|--all> send dead letters to their consumers again
  search reindex         rebuild the search index from the catalog (with a progress bar)
  backup --to DIR        copy the embedded SQLite files, consistent while Orderly runs, with a manifest;
                         exit 0 only when the copy verifies
  restore --from DIR --data-dir DIR [--force]
                         check a backup and restore it into an empty data directory, then bring the
                         search index forward and refund charges for orders placed after the backup
  reconcile              after a point-in-time recovery (PostgreSQL): refund charges the payment provider
                         holds for orders the database no longer has
  archive --before DATE  move delivered and cancelled orders unchanged since before DATE to archive files
                         (ORDERLY_ARCHIVE_DIR); they stay readable through the API
  rotate-secret-key      re-encrypt every stored secret (webhook signing secrets, Idempotency-Key answers) under
                         ORDERLY_SECRET_KEY, reading those under ORDERLY_SECRET_KEY_PREVIOUS; prints counts;
                         safe to run again
  seed --products N      add N generated products (categories, attributes, prices, stock) and index them
  payment-sim            run the payment provider simulator (PORT default 4100, HOST, ORDERLY_DATA_DIR);
                         faults via POST /admin/faults, e.g. {"down":true}; {} clears them
  help                   show this text

Settings (environment):
${describeSettings()
  .map((line) => `  ${line}`)
  .join('\n')}
`;

async function start(config: Config): Promise<number> {
  // Before anything that makes spans; the spans still buffered are sent on shutdown.
  const tracing = config.tracing && startTracing({ ...config.tracing, serviceVersion: VERSION });
  const orderly = await createOrderly(config);
  const { logger } = orderly;
  // Only `orderly start` opens the demo shop, never createOrderly: test suites build apps with their own data.
  if (config.role !== 'worker' && (await demoWanted(orderly))) {
    const demo = await openDemoShop(orderly);
    // Printed on purpose, under names the secret redaction leaves alone: sample accounts for trying the shop and console.
    logger.info(
      {
        products: demo.products,
        email: demo.customer.email,
        demoPassword: demo.customer.password,
        ...(demo.admin && { adminEmail: demo.admin.email, demoAdminPassword: demo.admin.password, console: '/admin' }),
        off: 'ORDERLY_DEMO=false',
      },
      'demo shop opened',
    );
  }
  const address = await orderly.listen();
  logger.info({ address, role: config.role, database: config.database.kind }, 'orderly listening');
  if (config.role !== 'worker') {
    if (existsSync(path.join(config.web.dir, 'index.html'))) logger.info({ url: `${address}/` }, 'storefront open');
    else logger.warn({ dir: config.web.dir }, 'no storefront build here; `npm start` builds it (npm run build:web)');
    if (existsSync(path.join(config.web.consoleDir, 'index.html'))) logger.info({ url: `${address}/admin` }, 'console open');
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining before shutdown');
    const force = setTimeout(() => {
      logger.error({ graceMs: config.http.shutdownGraceMs }, 'shutdown grace period over; exiting with work in flight');
      process.exit(1);
    }, config.http.shutdownGraceMs);
    force.unref();
    orderly
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => {
          logger.info('stopped cleanly');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return 0;
}

async function withCore(config: Config, logger: Logger, run: (core: Core) => Promise<number>): Promise<number> {
  const core = await buildCore(config, logger);
  try {
    return await run(core);
  } finally {
    await core.close();
  }
}

async function deadLetters(core: Core, args: string[]): Promise<number> {
  const store = core.deadLetters;
  const [action, target] = args;
  if (action === 'list') {
    const letters = await store.list(1000);
    for (const l of letters)
      process.stdout.write(`${l.id}\t${l.deadAt}\t${l.group}\t${l.type}\t${l.key}\tattempts=${l.attempts}\t${l.error ?? ''}\n`);
    process.stdout.write(`${letters.length} dead letter(s)\n`);
    return 0;
  }
  if (action === 'redrive' && target !== undefined) {
    const ids = target === '--all' ? (await store.list(100_000)).map((l) => l.id) : [target];
    let redriven = 0;
    // Recorded like a redrive over HTTP, as the operator's own process (`system`), in the redrive's transaction.
    const audited = (id: string) => (tx: Executor) =>
      recordAudit(tx, {
        actor: SYSTEM_ACTOR,
        action: 'dlq.redriven',
        subject: id,
        before: { status: 'dead' },
        after: { status: 'redriven' },
      });
    for (const id of ids) if (await store.redrive(id, audited(id))) redriven += 1;
    process.stdout.write(`${redriven} dead letter(s) redriven\n`);
    return redriven === ids.length ? 0 : 1;
  }
  process.stderr.write('usage: orderly dlq list | orderly dlq redrive <id|--all>\n');
  return 2;
}

async function reindexSearch(core: Core): Promise<number> {
  const catalog = core.modules.catalog.service;
  const progress = createProgress('reindexing search', await catalog.count());
  const { indexed, removed } = await core.modules.search.service.reindex(
    (after, limit) => catalog.scan(after, limit),
    (n) => progress.update(n),
  );
  progress.finish();
  process.stdout.write(`${indexed} product(s) indexed, ${removed} stale document(s) removed\n`);
  return 0;
}

async function seed(core: Core, args: string[]): Promise<number> {
  const at = args.indexOf('--products');
  const count = at >= 0 ? Number(args[at + 1]) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > 10_000_000) {
    process.stderr.write('usage: orderly seed --products N   (1 ≤ N ≤ 10,000,000)\n');
    return 2;
  }
  const created = await seedCatalog(core, count);
  process.stdout.write(`${created} product(s) created and indexed\n`);
  return 0;
}

/** Runs one CLI command; resolves to the exit code (a started server keeps the process alive). */
export async function runCli(argv: string[]): Promise<number> {
  const [command = 'help'] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // The simulator is the outside world, not Orderly: it reads only its own few settings.
  if (command === 'payment-sim') return runPaymentSim(process.env);
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const logger = createLogger(config.logLevel);
  try {
    switch (command) {
      case 'start':
        return await start(config);
      case 'migrate': {
        const applied = await migrate(config, logger);
        process.stdout.write(`${applied.length} migration(s) applied\n`);
        return 0;
      }
      case 'verify':
        return await withCore(config, logger, async (core) => {
          const report = await verifyInvariants(core);
          process.stdout.write(formatReport(report));
          return report.violations.length === 0 ? 0 : 1;
        });
      case 'trace': {
        const orderId = argv[1];
        if (!orderId) {
          process.stderr.write('usage: orderly trace <order id>\n');
          return 2;
        }
        return await withCore(config, logger, async (core) => {
          const story = await orderStory(core, orderId);
          if (!story) {
            process.stderr.write(`no order ${orderId}\n`);
            return 1;
          }
          process.stdout.write(formatStory(story));
          return 0;
        });
      }
      case 'dlq':
        return await withCore(config, logger, (core) => deadLetters(core, argv.slice(1)));
      case 'search':
        if (argv[1] !== 'reindex') {
          process.stderr.write('usage: orderly search reindex\n');
          return 2;
        }
        return await withCore(config, logger, reindexSearch);
      case 'seed':
        return await withCore(config, logger, (core) => seed(core, argv.slice(1)));
      case 'backup':
        return await backupCommand(config, argv.slice(1));
      case 'restore':
        return await restoreCommand(argv.slice(1), logger);
      case 'reconcile':
        return await withCore(config, logger, reconcileCommand);
      case 'rotate-secret-key':
        return await withCore(config, logger, rotateSecretKeyCommand);
      case 'archive':
        return await withCore(config, logger, (core) => archiveCommand(core, argv.slice(1)));
      default:
        process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    // Settings that can only be judged once the app is built (a fault point naming no effect) stop it as bad settings do.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    logger.fatal({ err: error }, `${command} failed`);
    return 1;
  }
}
