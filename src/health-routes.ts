/**
 * GET /ready [extension] at the root, outside the REST auth as /health is (probes carry
 * no credentials). Its answers are `ReadyAnswerSchema` (src/service-health.ts).
 */
import type { ZodFastifyInstance } from './rest/route-schemas';
import { ReadyAnswerSchema, type ProbeAnswer, type ReadyAnswer } from './service-health';

export function registerReadyRoute(app: ZodFastifyInstance, readiness: () => ProbeAnswer<ReadyAnswer>): void {
  app.get('/ready', {
    schema: {
      tags: ['operations'],
      summary: 'Whether a new publish would be accepted: 503 while starting or stopping, or at max_streams_total',
      response: { 200: ReadyAnswerSchema.describe('Ready for new publishes'), 503: ReadyAnswerSchema.describe('Not ready; `reason` says why') },
    },
  }, async (_request, reply) => {
    const { statusCode, body } = readiness();
    return reply.code(statusCode).header('cache-control', 'no-store').send(body);
  });
}
