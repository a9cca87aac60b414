/**
 * A TransponderSource that emits nothing unless a test makes it: for tests of what the
 * transponders and their manager do around the media (states, limits, reloads, metrics),
 * where the RTMP side is a scripted server and no frame needs to flow.
 */
import type { AudioFrame, VideoFrame } from '../../src/media/frames';
import type { TransponderSource } from '../../src/transponder/transponder';
import { TypedEmitter } from '../../src/util/typed-emitter';

export type SourceEvents = { video: [VideoFrame]; audio: [AudioFrame]; close: [string] };

export class QuietSource extends TypedEmitter<SourceEvents> implements TransponderSource {
  closed = false;

  constructor(readonly streamName: string, private readonly tracks: { audio: boolean; video: boolean } = { audio: true, video: true }) {
    super();
  }

  hasAudio(): boolean {
    return this.tracks.audio;
  }

  hasVideo(): boolean {
    return this.tracks.video;
  }

  requestKeyframe(): void {}
}
