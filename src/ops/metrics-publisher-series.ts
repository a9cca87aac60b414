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

type Emit = (labels: Record<Label, string>, value: number) => void;

/** Every track's figure, labelled as media received from the browser. */
function incoming(figure: (t: TrackStats) => number) {
  return (p: PublisherStats, emit: Emit): void => {
    for (const t of tracksOf(p)) emit({ stream: p.streamName, kind: t.kind, direction: 'incoming' }, figure(t.stats));
  };
}

/** A video figure, labelled as feedback we send to the browser. */
function outgoing(figure: (v: NonNullable<PublisherStats['video']>) => number) {
  return (p: PublisherStats, emit: Emit): void => {
    if (p.video) emit({ stream: p.streamName, kind: 'video', direction: 'outgoing' }, figure(p.video));
  };
}

const SERIES: Array<[string, string, (p: PublisherStats, emit: Emit) => void]> = [
  ['publisher_packets_total', 'RTP packets received from the publishing browser', incoming((t) => t.packets)],
  ['publisher_bytes_total', 'RTP payload bytes received from the publishing browser', incoming((t) => t.bytes)],
  ['publisher_packets_lost_total', 'RTP packets never received (gaps in sequence numbers)', incoming((t) => t.lost)],
  ['publisher_nack_total', 'RTCP NACKs sent to the publishing browser (one per packet reported lost)', outgoing((v) => v.nacksSent)],
  ['publisher_pli_total', 'RTCP PLIs (keyframe requests) sent to the publishing browser', outgoing((v) => v.plisSent)],
  ['publisher_fir_total', 'RTCP FIRs (keyframe requests to a browser without PLI) sent to the publishing browser', outgoing((v) => v.firsSent)],
];

export function registerPublisherSeries(registry: Registry, prefix: string, publishers: () => readonly PublisherStats[]): void {
  for (const [name, help, series] of SERIES) {
    liveCounter<Label>(registry, {
      name: prefix + name,
      help,
      labelNames: LABELS,
      read: (emit) => {
        for (const p of publishers()) series(p, emit);
      },
    });
  }
}
