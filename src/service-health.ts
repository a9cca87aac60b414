/**
 * What the probes answer, from the service's state alone (pure: no server, no timer).
 * `GET /health` is liveness for orchestrators and load balancers: 200 only while the
 * service serves, 503 while it starts and while it stops, so no new traffic is sent to
 * an instance that is going away. `GET /ready` [extension] says whether a new publish
 * would be accepted: not while starting or stopping, nor at `max_streams_total`.
 */
import { z } from 'zod';

/** The service's life, in order; it only moves forward (starting → serving → stopping → stopped, or starting → stopping). */
export const SERVICE_STATES = ['starting', 'serving', 'stopping', 'stopped'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export const HealthAnswerSchema = z.object({
  /** `ok` while serving; otherwise the state that keeps it from serving */
  status: z.enum(['ok', 'starting', 'stopping', 'stopped']),
});
export type HealthAnswer = z.infer<typeof HealthAnswerSchema>;

export const NOT_READY_REASONS = ['STARTING', 'STOPPING', 'STREAM_LIMIT'] as const;

export const ReadyAnswerSchema = z.object({
  ready: z.boolean(),
  /** why not, when not ready */
  reason: z.enum(NOT_READY_REASONS).optional(),
  message: z.string().optional(),
  /** streams being set up or published now, and how many the service accepts at once */
  streams: z.number().int().nonnegative(),
  maxStreams: z.number().int().positive(),
});
export type ReadyAnswer = z.infer<typeof ReadyAnswerSchema>;

export interface ProbeAnswer<T> {
  statusCode: 200 | 503;
  body: T;
}

export function healthAnswer(state: ServiceState): ProbeAnswer<HealthAnswer> {
  return state === 'serving' ? { statusCode: 200, body: { status: 'ok' } } : { statusCode: 503, body: { status: state } };
}

export interface StreamLoad {
  streams: number;
  maxStreams: number;
}

export function readyAnswer(state: ServiceState, load: StreamLoad): ProbeAnswer<ReadyAnswer> {
  const notReady = (reason: ReadyAnswer['reason'], message: string): ProbeAnswer<ReadyAnswer> => ({
    statusCode: 503,
    body: { ready: false, reason, message, ...load },
  });
  if (state === 'starting') return notReady('STARTING', 'The service is starting');
  if (state !== 'serving') return notReady('STOPPING', 'The service is stopping');
  if (load.streams >= load.maxStreams) return notReady('STREAM_LIMIT', `Server limit of ${load.maxStreams} streams reached`);
  return { statusCode: 200, body: { ready: true, ...load } };
}
