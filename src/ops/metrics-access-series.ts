/**
 * Who was turned away and how the REST hooks fare: the WebSocket limits' refusals by
 * kind, the REST auth failure limiter, the WCS REST hook deliveries, and destinations
 * refused by the destination guard's rule. The first three are counts their objects keep
 * for the service's life (read at scrape time); the guard's refusals come as events.
 * No label carries an address, a URL, a user or an application key.
 */
import { Counter, type Registry } from 'prom-client';
import type { RefusalCounts, RefusalKind } from '../signaling/signaling-refusals';
import { liveCounter, liveGauge } from './metrics-families';

/** The REST auth failure limiter's figures (AuthFailureLimiter.stats and trackedAddresses). */
export interface AuthFailureFigures {
  failures: number;
  refused: number;
  evictions: number;
  trackedAddresses: number;
}

/** The REST hook client's figures (PublishAccess.hookStats). */
export interface HookFigures {
  /** events waiting for their turn (per-stream order) or a retry */
  queued: number;
  delivered: number;
  retried: number;
  dropped: number;
  /** calls (connect/publish decisions and events) on the wire now */
  inFlight: number;
  /** calls waiting for an in-flight slot */
  waiting: number;
}

export interface AccessFigures {
  signalingRefusals(): RefusalCounts;
  authFailures(): AuthFailureFigures;
  hooks(): HookFigures;
}

/** Fed by the owner's listener: a destination refused by the guard, with its rule. */
export type DestinationRefused = (rule: string) => void;

export function registerAccessSeries(registry: Registry, prefix: string, figures: AccessFigures): DestinationRefused {
  liveCounter<'kind'>(registry, {
    name: `${prefix}signaling_refusals_total`,
    help: 'WebSocket signaling requests refused by a limit, by kind: sessionsPerAddress, messageRate, streamsPerSession, streamsTotal',
    labelNames: ['kind'],
    read: (emit) => {
      const counts = figures.signalingRefusals();
      for (const kind of Object.keys(counts) as RefusalKind[]) emit({ kind }, counts[kind]);
    },
  });

  const auth: Array<[string, string, (f: AuthFailureFigures) => number]> = [
    ['rest_auth_failures_total', 'Wrong REST credentials counted by the failure limiter (REST API, /metrics, /debug)', (f) => f.failures],
    ['rest_auth_refused_total', 'Requests answered 429 by the failure limiter, without checking their credentials', (f) => f.refused],
    ['rest_auth_evictions_total', 'Addresses the failure limiter forgot early because its table was full', (f) => f.evictions],
  ];
  for (const [name, help, figure] of auth) {
    liveCounter(registry, { name: prefix + name, help, labelNames: [], read: (emit) => emit({}, figure(figures.authFailures())) });
  }
  liveGauge(registry, {
    name: `${prefix}rest_auth_tracked_addresses`,
    help: 'Addresses the failure limiter tracks now (bounded by rest_auth_failure_max_addresses)',
    labelNames: [],
    read: (emit) => emit({}, figures.authFailures().trackedAddresses),
  });

  const hookCounters: Array<[string, string, (h: HookFigures) => number]> = [
    ['hook_events_delivered_total', 'REST hook events (StreamStatusEvent, ConnectionStatusEvent, …) the backend took', (h) => h.delivered],
    ['hook_events_retried_total', 'REST hook event deliveries tried again after a failure', (h) => h.retried],
    ['hook_events_dropped_total', 'REST hook events given up (every try failed, too many waiting, or the service stopped)', (h) => h.dropped],
  ];
  for (const [name, help, figure] of hookCounters) {
    liveCounter(registry, { name: prefix + name, help, labelNames: [], read: (emit) => emit({}, figure(figures.hooks())) });
  }
  const hookGauges: Array<[string, string, (h: HookFigures) => number]> = [
    ['hook_events_queued', 'REST hook events waiting for their turn or for a retry', (h) => h.queued],
    ['hook_calls_in_flight', 'REST hook calls (decisions and events) waiting for the backend now', (h) => h.inFlight],
    ['hook_calls_waiting', 'REST hook calls waiting for an in-flight slot (rest_hook_max_in_flight)', (h) => h.waiting],
  ];
  for (const [name, help, figure] of hookGauges) {
    liveGauge(registry, { name: prefix + name, help, labelNames: [], read: (emit) => emit({}, figure(figures.hooks())) });
  }

  const destinations = new Counter({
    name: `${prefix}destination_refusals_total`,
    help: 'Transponder startups refused by the destination guard, by the rule that refused them',
    labelNames: ['rule'],
    registers: [registry],
  });
  return (rule) => destinations.inc({ rule });
}
