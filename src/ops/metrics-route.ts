/**
 * GET /metrics on http.port, for a Prometheus scraper: the text format 0.0.4, behind
 * MetricsAuthenticator (the REST credentials when REST auth is on, metrics_token when set).
 */
import { z } from 'zod';
import { apiResponses, type ZodFastifyInstance } from '../rest/route-schemas';
import type { MetricsAuthenticator } from './metrics-auth';
import type { ServiceMetrics } from './metrics';

export const METRICS_PATH = '/metrics';

export function registerMetricsRoute(app: ZodFastifyInstance, metrics: ServiceMetrics, auth: MetricsAuthenticator): void {
  app.get(METRICS_PATH, {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text format 0.0.4); the REST credentials or metrics_token when either is set',
      response: {
        ...apiResponses({}, []),
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
      },
    },
    onRequest: auth.hook,
  }, async (_request, reply) => {
    const text = await metrics.scrape();
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}
