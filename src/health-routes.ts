/**
 * GET /ready [extension] at the root, outside the REST auth as /health is (probes carry
 * no credentials). Its answers are `ReadyAnswerSchema` (src/service-health.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ProbeAnswer, ReadyAnswer } from './service-health';

export function registerReadyRoute(app: FastifyInstance, readiness: () => ProbeAnswer<ReadyAnswer>): void {
  app.get('/ready', async (_request, reply) => {
    const { statusCode, body } = readiness();
    return reply.code(statusCode).header('cache-control', 'no-store').send(body);
  });
}
