import { Event, RtpPacket } from 'werift';
import { QuickEvent, WeriftEvent } from '../../src/webrtc/werift-event-fast-path';
import { seededRandom } from '../helpers/seeded-random';

interface EventApi {
  execute: (...args: unknown[]) => void;
  subscribe: (f: (...args: unknown[]) => unknown) => { unSubscribe: () => void };
  queuingSubscribe: (f: (...args: unknown[]) => Promise<unknown>) => { unSubscribe: () => void };
  complete: () => void;
  onerror: (e: unknown) => void;
  ended: boolean;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A seeded script of subscribes (plain and promise ones, some added from inside a
 * subscriber), unsubscribes, executes, a throwing promise subscriber and the end; returns
 * every call in the order it happened, microtasks included.
 */
async function run(Cls: new () => object, seed: number): Promise<string[]> {
  const rnd = seededRandom(seed);
  const ev = new Cls() as unknown as EventApi;
  const log: string[] = [];
  ev.onerror = (e) => log.push(`onerror ${String(e)}`);
  const subs: Array<{ unSubscribe: () => void }> = [];
  for (let step = 0; step < 60; step++) {
    const what = rnd();
    const n = step;
    if (what < 0.25) {
      subs.push(ev.subscribe((v) => { log.push(`plain${n} ${String(v)}`); }));
    } else if (what < 0.35) {
      subs.push(ev.queuingSubscribe(async (v) => {
        log.push(`queued${n} start ${String(v)}`);
        await Promise.resolve();
        if (n % 3 === 0) throw new Error(`queued${n} failed`);
        log.push(`queued${n} end ${String(v)}`);
      }));
    } else if (what < 0.42) {
      // a subscriber that adds a promise subscriber while the event runs
      let added = false;
      subs.push(ev.subscribe(() => {
        if (added) return;
        added = true;
        ev.queuingSubscribe(async (v) => { log.push(`late${n} ${String(v)}`); });
      }));
    } else if (what < 0.5 && subs.length > 0) {
      subs.splice(Math.floor(rnd() * subs.length), 1)[0]!.unSubscribe();
    } else {
      ev.execute(n);
      log.push(`executed ${n}`);
      if (rnd() < 0.3) await flush();
    }
  }
  await flush();
  ev.complete();
  ev.execute('after end');
  await flush();
  log.push(`ended ${String(ev.ended)}`);
  return log;
}

describe('werift Event fast path', () => {
  it('calls subscribers in the same order as werift\'s Event, promise subscribers and errors included (30 seeded scripts)', async () => {
    for (let i = 0; i < 30; i++) {
      const seed = 0x5eed0408 + i;
      const theirs = await run(WeriftEvent, seed);
      const ours = await run(QuickEvent, seed);
      expect({ seed, log: ours }).toEqual({ seed, log: theirs });
      expect(theirs.length).toBeGreaterThan(20);
    }
  });

  it('has werift\'s own fields in werift\'s order and is an instance of werift\'s class', () => {
    const ours = new QuickEvent();
    expect(Object.keys(ours)).toEqual(Object.keys(new WeriftEvent()));
    expect(ours).toBeInstanceOf(WeriftEvent);
  });

  it('is the Event werift makes: its tracks and receivers use it, a packet reaches the track through it (fails if werift stops using it)', async () => {
    expect(Event).toBe(QuickEvent);
    const { RTCRtpReceiver, RTCRtpCodecParameters, MediaStreamTrack, RtpHeader } = await import('werift');
    const track = new MediaStreamTrack({ kind: 'audio' });
    expect(track.onReceiveRtp).toBeInstanceOf(QuickEvent);
    const receiver = new RTCRtpReceiver({} as never, 'audio', 1) as unknown as { onRtcp: object; prepareReceive(p: object): void; handleRTP(p: RtpPacket, e: object, t: object): void; stop(): void };
    try {
      expect(receiver.onRtcp).toBeInstanceOf(QuickEvent);
      receiver.prepareReceive({ codecs: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })], encodings: [] });
      const got: number[] = [];
      track.onReceiveRtp.subscribe((p: RtpPacket) => got.push(p.header.sequenceNumber));
      receiver.handleRTP(new RtpPacket(new RtpHeader({ payloadType: 111, ssrc: 3, sequenceNumber: 7 }), Buffer.alloc(4)), {}, track);
      expect(got).toEqual([7]);
    } finally {
      receiver.stop();
    }
  });
});
