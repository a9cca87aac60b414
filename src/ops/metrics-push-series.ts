/**
 * Per-transponder series, as MediaMTX gives one series set per destination: labelled
 * with the transponder's id, its source stream and its destination's host and
 * application. The state is one series whose `state` label is the current state (value
 * 1), as MediaMTX's `paths{state}`: one series per push instead of one per state.
 */
import type { Registry } from 'prom-client';
import type { TransponderStats } from '../transponder/transponder-api';
import { liveCounter, liveGauge } from './metrics-families';
import { PUSH_LABELS, type PushRow } from './metrics-frame';

type Figure = (stats: TransponderStats) => number | undefined;

export function registerPushSeries(registry: Registry, prefix: string, pushes: () => readonly PushRow[]): void {
  liveGauge(registry, {
    name: `${prefix}push_state`,
    help: 'A transponder (RTMP push) and its current state, value 1: PENDING, CONNECTING, PUBLISHING, RESTORING, TERMINATED or FAILED',
    labelNames: [...PUSH_LABELS, 'state'],
    read: (emit) => {
      for (const p of pushes()) emit({ ...p.labels, state: p.state }, 1);
    },
  });

  const counters: Array<[string, string, Figure]> = [
    ['push_sent_bytes_total', 'Bytes sent to the RTMP server, over every connection of the push', (s) => s.bytesSent],
    ['push_sent_frames_total', 'Audio and video frames sent to the RTMP server', (s) => s.framesSent],
    ['push_dropped_frames_total', 'Frames given up for a slow RTMP server (non-key video only)', (s) => s.framesDropped],
    ['push_restores_total', 'Losses of the RTMP connection recovered from', (s) => s.restores],
    ['push_lag_holds_total', 'Times media was held back because the RTMP server fell more than 2 s behind', (s) => s.lagHolds],
  ];
  for (const [name, help, figure] of counters) {
    liveCounter(registry, { name: prefix + name, help, labelNames: PUSH_LABELS, read: (emit) => emitEach(pushes(), figure, emit) });
  }

  const gauges: Array<[string, string, Figure]> = [
    ['push_output_buffer_seconds', 'Media held in the output buffer (rtmp_out_buffer_*), in seconds', (s) => s.bufferMs / 1000],
    ['push_queued_bytes', 'Bytes of FLV tags waiting for a slow RTMP server', (s) => s.queuedBytes],
    ['push_server_lag_seconds', 'How far behind the RTMP server is, in media seconds, from its acknowledgements (absent until it acknowledges)', (s) =>
      s.serverLagMs === undefined ? undefined : s.serverLagMs / 1000],
    ['push_restore_attempts', 'Restore attempts made in the current outage (0 while publishing)', (s) => s.restoreAttempts],
  ];
  for (const [name, help, figure] of gauges) {
    liveGauge(registry, { name: prefix + name, help, labelNames: PUSH_LABELS, read: (emit) => emitEach(pushes(), figure, emit) });
  }
}

function emitEach(pushes: readonly PushRow[], figure: Figure, emit: (labels: PushRow['labels'], value: number) => void): void {
  for (const p of pushes) {
    const value = figure(p.stats);
    if (value !== undefined) emit(p.labels, value);
  }
}
