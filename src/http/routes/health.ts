import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import type { Metrics } from '../metrics.ts';

export function healthRoutes(store: Store, metrics: Metrics) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({ status: 'ok' }));

    app.get('/readyz', async (request, reply) => {
      try {
        await store.ping();
        return { status: 'ready' };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        return reply.status(503).send({ error: { code: 'service_unavailable', message: 'The database is not reachable.' } });
      }
    });

    app.get('/metrics', async (_request, reply) => {
      void reply.header('Content-Type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  };
}
