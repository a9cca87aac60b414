/**
 * GET /metrics on http.port, for a Prometheus scraper: the text format 0.0.4, behind
 * MetricsAuthenticator (the REST credentials when REST auth is on, metrics_token when set).
 */
import type { FastifyInstance } from 'fastify';
import type { MetricsAuthenticator } from './metrics-auth';
import type { ServiceMetrics } from './metrics';

export const METRICS_PATH = '/metrics';

export function registerMetricsRoute(app: FastifyInstance, metrics: ServiceMetrics, auth: MetricsAuthenticator): void {
  app.get(METRICS_PATH, {
    onRequest: auth.hook,
  }, async (_request, reply) => {
    const text = await metrics.scrape();
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}
