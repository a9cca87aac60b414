/**
 * Per-publisher RTP/RTCP counters, labelled as LiveKit labels its own: `direction`
 * says which way the packets went (media arrives `incoming`; NACK, PLI and FIR are
 * feedback we send, `outgoing`), `kind` the track.
 */
import type { Registry } from 'prom-client';
import type { PublisherStats, TrackStats } from '../webrtc/publisher';
import { liveCounter } from './metrics-families';

const LABELS = ['stream', 'kind', 'direction'] as const;
type Label = (typeof LABELS)[number];
type Track = { kind: 'audio' | 'video'; stats: TrackStats };

function tracksOf(p: PublisherStats): Track[] {
  const tracks: Track[] = [];
  if (p.video) tracks.push({ kind: 'video', stats: p.video });
  if (p.audio) tracks.push({ kind: 'audio', stats: p.audio });
  return tracks;
}

export function registerPublisherSeries(registry: Registry, prefix: string, publishers: () => readonly PublisherStats[]): void {
  const incoming: Array<[string, string, (t: TrackStats) => number]> = [
    ['publisher_packets_total', 'RTP packets received from the publishing browser', (t) => t.packets],
    ['publisher_bytes_total', 'RTP payload bytes received from the publishing browser', (t) => t.bytes],
    ['publisher_packets_lost_total', 'RTP packets never received (gaps in sequence numbers)', (t) => t.lost],
  ];
  for (const [name, help, figure] of incoming) {
    liveCounter<Label>(registry, {
      name: prefix + name,
      help,
      labelNames: LABELS,
      read: (emit) => {
        for (const p of publishers()) {
          for (const t of tracksOf(p)) emit({ stream: p.streamName, kind: t.kind, direction: 'incoming' }, figure(t.stats));
        }
      },
    });
  }

  type Video = NonNullable<PublisherStats['video']>;
  const feedback: Array<[string, string, (v: Video) => number]> = [
    ['publisher_nack_total', 'RTCP NACKs sent to the publishing browser (one per packet reported lost)', (v) => v.nacksSent],
    ['publisher_pli_total', 'RTCP PLIs (keyframe requests) sent to the publishing browser', (v) => v.plisSent],
    ['publisher_fir_total', 'RTCP FIRs (keyframe requests to a browser without PLI) sent to the publishing browser', (v) => v.firsSent],
  ];
  for (const [name, help, figure] of feedback) {
    liveCounter<Label>(registry, {
      name: prefix + name,
      help,
      labelNames: LABELS,
      read: (emit) => {
        for (const p of publishers()) {
          if (p.video) emit({ stream: p.streamName, kind: 'video', direction: 'outgoing' }, figure(p.video));
        }
      },
    });
  }
}
