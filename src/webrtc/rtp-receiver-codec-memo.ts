import { RTCRtpCodecParameters, RTCRtpReceiver, useTWCC } from 'werift';
import { assertWeriftMember } from './werift-patch';

/**
 * werift 0.25.2's `RTCRtpReceiver.handleRTP` asks, for every RTP packet, things that change
 * only when the codecs are negotiated: `nackEnabled` (video) and, until the receiver has
 * set up TWCC, `twccEnabled`. Each sorts a fresh array of all negotiated codecs
 * (`codecArray`, Object.values + sort) only to take its first, and `twccEnabled` builds a
 * feedback object per codec compared. It also reads `codec.name` twice per packet, which
 * splits the MIME type into a new array. Together about 2 % of the service's JS time at
 * 4 publishers.
 *
 * This keeps, per receiver, the codec `codecArray[0]` would give, forgotten whenever werift
 * changes the receiver's codecs (its only writers are `prepareReceive` and `resyncCodecs`;
 * a receiver whose `codecs` object was replaced is recomputed too; werift does not renumber a
 * codec object in place). The feedback lists are still searched on every call, so a change
 * to a codec's `rtcpFeedback` is seen as before.
 * `name` keeps the last MIME types it split (they are few: one per codec).
 */

interface CodecLike {
  payloadType: number;
  mimeType: string;
  rtcpFeedback: Array<{ type: string; parameter?: string }>;
}

interface ReceiverInternals {
  codecs: Record<number, CodecLike>;
  readonly codecArray: CodecLike[];
}

interface FirstCodec {
  codecs: Record<number, CodecLike>;
  first: CodecLike | undefined;
}

const receiverPrototype = RTCRtpReceiver.prototype as unknown as ReceiverInternals & Record<string, unknown>;
assertWeriftMember(receiverPrototype, 'RTCRtpReceiver.prototype', 'codecArray', 'getter');
assertWeriftMember(receiverPrototype, 'RTCRtpReceiver.prototype', 'nackEnabled', 'getter');
assertWeriftMember(receiverPrototype, 'RTCRtpReceiver.prototype', 'twccEnabled', 'getter');
assertWeriftMember(receiverPrototype, 'RTCRtpReceiver.prototype', 'prepareReceive', 'method');
assertWeriftMember(receiverPrototype, 'RTCRtpReceiver.prototype', 'resyncCodecs', 'method');
assertWeriftMember(RTCRtpCodecParameters.prototype, 'RTCRtpCodecParameters.prototype', 'name', 'getter');

const firstCodecs = new WeakMap<object, FirstCodec>();

/** `receiver.codecArray[0]`, kept until werift changes the receiver's codecs. */
function firstCodec(receiver: ReceiverInternals): CodecLike | undefined {
  const kept = firstCodecs.get(receiver);
  if (kept && kept.codecs === receiver.codecs) return kept.first;
  const first = receiver.codecArray[0];
  firstCodecs.set(receiver, { codecs: receiver.codecs, first });
  return first;
}

function forgetCodecs(name: 'prepareReceive' | 'resyncCodecs'): void {
  const original = receiverPrototype[name] as (this: object, ...args: unknown[]) => unknown;
  receiverPrototype[name] = function (this: object, ...args: unknown[]): unknown {
    firstCodecs.delete(this);
    try {
      return original.apply(this, args);
    } finally {
      firstCodecs.delete(this);
    }
  };
}
forgetCodecs('prepareReceive');
forgetCodecs('resyncCodecs');

type FeedbackGetter = (this: object) => { type: string } | undefined;
const getterOf = (name: string): FeedbackGetter => Object.getOwnPropertyDescriptor(receiverPrototype, name)!.get as FeedbackGetter;
/** werift's own getters, kept for the tests that compare. */
export const weriftNackEnabled = getterOf('nackEnabled');
export const weriftTwccEnabled = getterOf('twccEnabled');

const TWCC = useTWCC().type;
const NACK = 'nack';

Object.defineProperty(receiverPrototype, 'nackEnabled', {
  configurable: true,
  get(this: ReceiverInternals) {
    return firstCodec(this)?.rtcpFeedback.find((f) => f.type === NACK);
  },
});
Object.defineProperty(receiverPrototype, 'twccEnabled', {
  configurable: true,
  get(this: ReceiverInternals) {
    return firstCodec(this)?.rtcpFeedback.find((f) => f.type === TWCC);
  },
});

/** A few MIME types each seen once: more would mean someone makes them up, so start over. */
const NAMES_KEPT = 64;
const namesByMimeType = new Map<string, string | undefined>();
const codecPrototype = RTCRtpCodecParameters.prototype as unknown as { readonly name: string };
/** werift's own `name` getter, kept for input that is not a string and for the tests that compare. */
export const weriftName = Object.getOwnPropertyDescriptor(codecPrototype, 'name')!.get as (this: CodecLike) => string;

Object.defineProperty(codecPrototype, 'name', {
  configurable: true,
  get(this: CodecLike) {
    const mimeType = this.mimeType;
    // werift's own for anything but a string (it throws on undefined as before)
    if (typeof mimeType !== 'string') return weriftName.call(this);
    let name = namesByMimeType.get(mimeType);
    if (name === undefined && !namesByMimeType.has(mimeType)) {
      name = mimeType.split('/')[1];
      if (namesByMimeType.size >= NAMES_KEPT) namesByMimeType.clear();
      namesByMimeType.set(mimeType, name);
    }
    return name;
  },
});
