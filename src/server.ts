import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { Clock } from './core/clock.ts';
import { bootstrapAdmin } from './flows/bootstrap-admin.ts';
import { sweepExpired } from './flows/sweep-expired.ts';
import type { SecurityNotifier } from './flows/shared/deps.ts';
import { buildApp, createLogger } from './http/app.ts';
import { KEY_RING_POLL_MS } from './runtime/key-ring.ts';
import { createServices, type Services } from './runtime/services.ts';

export const DEFAULT_WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  stop(): Promise<void>;
}

const CLEANUP_INTERVAL_MS = 10 * 60_000;
const SHUTDOWN_GRACE_MS = 10_000;

/** loadConfig -> createServices -> bootstrapAdmin -> buildApp -> listen. */
export async function startServer(
  config: Config,
  options: {
    notifier?: SecurityNotifier;
    print?: (line: string) => void;
    /** Only test entry points pass one (test/support/test-server.ts); `twofold serve` runs on the system clock. */
    clock?: Clock;
  } = {},
): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logger = createLogger(config.logLevel);
  const services = await createServices(config, { notifier: options.notifier, log: logger, clock: options.clock });
  const admin = await bootstrapAdmin(services.flows, config.adminPassword);
  if (admin.created) {
    // Printed to the terminal once, deliberately not through the logger (logs never hold passwords).
    print(
      admin.generatedPassword === null
        ? 'Created the administrator account "admin" with the password from TWOFOLD_ADMIN_PASSWORD.'
        : `Created the administrator account "admin". Its password, shown only this once: ${admin.generatedPassword}`,
    );
  }
  if (services.masterKeySource === 'new-file') {
    print(`Created a new master key in ${path.join(config.dataDir, 'master.key')}. Back it up: without it no authenticator secret can be read.`);
  }

  const app = await buildApp({
    flows: services.flows,
    poolStats: services.database.poolStats,
    webRoot: DEFAULT_WEB_ROOT,
    trustProxyHops: config.trustProxyHops,
    metricsToken: config.metricsToken,
    logger,
  });
  const sweep = () => {
    sweepExpired(services.flows, config.auditRetentionDays).then(
      ({ auditEventsDeleted }) => {
        if (auditEventsDeleted > 0) app.log.info({ auditEventsDeleted, retentionDays: config.auditRetentionDays }, 'expired audit events deleted');
      },
      (error: unknown) => app.log.warn({ err: error }, 'cleanup failed'),
    );
  };
  const cleanup = setInterval(sweep, CLEANUP_INTERVAL_MS);
  cleanup.unref();
  sweep();
  // A master-key rotation (twofold keys rotate-master) reaches running instances through this.
  const keyRefresh = setInterval(() => {
    services.keyRing.refresh().catch((error: unknown) => app.log.warn({ err: error }, 'master key refresh failed'));
  }, KEY_RING_POLL_MS);
  keyRefresh.unref();

  let closing = false;
  // Once shutdown starts, responses ask clients to close their connection: a keep-alive
  // connection would otherwise keep the server open after its last request finished.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  app.log.info({ url, database: services.database.dialect }, 'Twofold is listening');
  if (config.smtpUrl === null) {
    app.log.info({ outbox: path.join(config.dataDir, 'outbox') }, 'no SMTP server configured (TWOFOLD_SMTP_URL): mails are written to the outbox folder');
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    // app.close() stops accepting, lets in-flight requests finish, then the pool closes.
    stopping ??= (async () => {
      clearInterval(cleanup);
      clearInterval(keyRefresh);
      closing = true;
      // Requests in flight finish (their responses say Connection: close); whatever is still
      // open after the grace period is cut.
      const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(deadline);
      }
      await services.close();
    })();
    return stopping;
  };
  return { app, services, url, stop };
}
