import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent } from '../core/types.ts';

export interface Metrics {
  registry: Registry;
  observeAudit(event: AuditEvent): void;
}

/** One registry per app, so several apps in one process (tests) never share counters. */
export function createMetrics(poolStats: () => { total: number; idle: number; waiting: number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'twofold_process_' });
  const logins = new Counter({
    name: 'twofold_logins_total',
    help: 'Password steps of login by outcome and client',
    labelNames: ['outcome', 'client'] as const,
    registers: [registry],
  });
  const secondFactor = new Counter({
    name: 'twofold_second_factor_total',
    help: 'Second-factor checks by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const lockouts = new Counter({ name: 'twofold_lockouts_total', help: 'Second factors locked after too many wrong codes', registers: [registry] });
  new Histogram({
    name: 'twofold_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'twofold_db_pool_connections',
    help: 'Database connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  return {
    registry,
    observeAudit(event) {
      if (event.type === 'login.password') logins.inc({ outcome: event.outcome, client: event.client ?? 'unknown' });
      if (event.type === 'login.second_factor') {
        secondFactor.inc({ method: String(event.detail?.method ?? 'unknown'), outcome: event.outcome });
      }
      if (event.type === 'login.lockout') lockouts.inc();
    },
  };
}

export function registerRequestTiming(app: FastifyInstance, metrics: Metrics): void {
  const histogram = metrics.registry.getSingleMetric('twofold_http_request_duration_seconds') as Histogram<'method' | 'route' | 'status_code'>;
  app.addHook('onResponse', async (request, reply) => {
    histogram.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
