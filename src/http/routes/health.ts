import type { FastifyInstance } from 'fastify';
import { equalsConstantTime } from '../../core/constant-time.ts';
import type { Clock } from '../../core/clock.ts';
import type { Store } from '../../store/store.ts';
import { sendError } from '../error-handler.ts';
import type { Metrics } from '../metrics.ts';

export function healthRoutes(store: Store, clock: Clock, metrics: Metrics, metricsToken: string | null) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({ status: 'ok' }));

    app.get('/readyz', async (request, reply) => {
      try {
        await store.ping(clock());
        return { status: 'ready' };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        void reply.header('Retry-After', '5');
        return sendError(reply, 'service_unavailable', 'The database cannot take writes.');
      }
    });

    app.get('/metrics', async (request, reply) => {
      if (metricsToken !== null) {
        const header = request.headers.authorization ?? '';
        if (!equalsConstantTime(header, `Bearer ${metricsToken}`)) return sendError(reply, 'unauthorized', 'Metrics need the metrics token.');
      }
      void reply.header('Content-Type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  };
}
