/**
 * A media worker's warm-up before it reports ready: one Publisher made from a canned
 * offer and closed at once. The first Publisher.create in a fresh thread runs cold code
 * (SDP parsing, werift's transports and certificate, socket binding), several times
 * slower than the next ones; paying it at start keeps it off the first publish, which
 * could otherwise stall the thread while other publishers' ICE checks wait for answers.
 */
import type { Logger } from '../../log';
import { Publisher } from '../publisher';
import { defaultPublisherOptions } from '../publisher-options';

const CANNED_FINGERPRINT = '6C:F9:A7:3F:58:E9:05:57:14:E3:36:1D:DD:B7:E2:27:B2:61:D2:F8:A7:8F:96:D8:44:9D:73:44:07:86:99:C6';

/** An offer as a browser makes it (Opus + H.264, bundled); nobody answers behind it. */
function cannedOffer(): string {
  const transport = [
    'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:warm', 'a=ice-pwd:warmupwarmupwarmupwarmup',
    `a=fingerprint:sha-256 ${CANNED_FINGERPRINT}`, 'a=setup:actpass', 'a=rtcp-mux',
  ];
  return [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS w',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', ...transport, 'a=mid:0', 'a=sendonly', 'a=msid:w a',
    'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=ssrc:1 cname:w',
    'm=video 9 UDP/TLS/RTP/SAVPF 106', ...transport, 'a=mid:1', 'a=sendonly', 'a=msid:w v',
    'a=rtpmap:106 H264/90000', 'a=rtcp-fb:106 nack', 'a=rtcp-fb:106 nack pli', 'a=rtcp-fb:106 goog-remb',
    'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', 'a=ssrc:2 cname:w',
  ].join('\r\n') + '\r\n';
}

/**
 * Makes one publisher on loopback and closes it, waiting for its sockets to be released.
 * Never rejects: a failed warm-up only means the first publish pays the cold start.
 */
export async function warmUp(log: Logger): Promise<void> {
  try {
    const publisher = await Publisher.create({
      streamName: 'media-worker-warm-up',
      offerSdp: cannedOffer(),
      options: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' },
      log,
    });
    await publisher.close('warm-up done');
  } catch (error) {
    log.warn('media worker warm-up failed; the first publish will start cold', { error: String(error) });
  }
}
