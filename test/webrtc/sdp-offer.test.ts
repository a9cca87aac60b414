import { chooseCodecs, offerForWerift, parseSdp, SdpError, touchAnswer, TRANSCODING_REQUIRED_BUT_DISABLED } from '../../src/webrtc/sdp-offer';

/** The shape of a Chromium offer: H.264 in both packetization modes for several profiles. */
const OFFER = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 0', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111', 'a=rtpmap:0 PCMU/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 goog-remb', 'a=rtcp-fb:102 transport-cc', 'a=rtcp-fb:102 nack',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000', 'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f',
  'a=rtpmap:105 rtx/90000', 'a=fmtp:105 apt=104',
  'a=rtpmap:106 H264/90000', 'a=rtcp-fb:106 nack', 'a=rtcp-fb:106 transport-cc',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000', 'a=fmtp:107 apt=106',
].join('\r\n') + '\r\n';

describe('codec choice', () => {
  it('takes H.264 packetization-mode=1 with profile 42e01f even when mode 0 and other profiles come first', () => {
    const choice = chooseCodecs(parseSdp(OFFER));
    expect(choice.video).toEqual({ codec: 'h264', payloadType: 106, profileLevelId: '42e01f', fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' });
    expect(choice.audio?.payloadType).toBe(111);
  });

  it('accepts another profile when 42e01f is not offered in mode 1', () => {
    const offer = OFFER.replace('packetization-mode=1;profile-level-id=42e01f', 'packetization-mode=0;profile-level-id=42e01f');
    expect(chooseCodecs(parseSdp(offer)).video?.payloadType).toBe(104);
  });

  it('takes VP8 when the offer has no H.264 packetization-mode=1', () => {
    const offer = OFFER.replace(/packetization-mode=1/g, 'packetization-mode=0');
    expect(chooseCodecs(parseSdp(offer)).video).toEqual({ codec: 'vp8', payloadType: 96, fmtp: '' });
  });

  it('takes VP9 profile 0 when neither H.264 nor VP8 is offered', () => {
    const offer = OFFER.replace(/packetization-mode=1/g, 'packetization-mode=0')
      .replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 VP9/90000\r\na=fmtp:96 profile-id=2')
      .replace('a=rtpmap:97 rtx/90000', 'a=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\na=rtpmap:97 rtx/90000');
    expect(chooseCodecs(parseSdp(offer)).video).toEqual({ codec: 'vp9', payloadType: 98, fmtp: 'profile-id=0' });
  });

  it('refuses VP8 alone when transcoding is disabled, with the WCS info for it', () => {
    const offer = OFFER.replace(/packetization-mode=1/g, 'packetization-mode=0');
    let refusal: unknown;
    try {
      chooseCodecs(parseSdp(offer), { transcodingDisabled: true });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SdpError);
    expect((refusal as SdpError).info).toBe('Transcoding required, but disabled');
    expect(TRANSCODING_REQUIRED_BUT_DISABLED).toBe('Transcoding required, but disabled');
  });

  it('keeps H.264 when transcoding is disabled and H.264 is offered', () => {
    expect(chooseCodecs(parseSdp(OFFER), { transcodingDisabled: true }).video?.codec).toBe('h264');
  });

  it('refuses video with neither H.264 packetization-mode=1 nor VP8/VP9', () => {
    const offer = OFFER.replace(/packetization-mode=1/g, 'packetization-mode=0').replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 AV1/90000');
    expect(() => chooseCodecs(parseSdp(offer))).toThrow(/H\.264 with packetization-mode=1, VP8 or VP9/);
  });

  it('refuses audio without Opus', () => {
    const offer = OFFER.replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 ISAC/16000');
    expect(() => chooseCodecs(parseSdp(offer))).toThrow(/no Opus/);
  });

  it('refuses an offer with neither', () => {
    const offer = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel'].join('\r\n');
    expect(() => chooseCodecs(parseSdp(offer))).toThrow(SdpError);
  });

  it('refuses garbage as SDP', () => {
    expect(() => parseSdp('hello world')).toThrow(SdpError);
    expect(() => parseSdp('v=0\r\nthis is not sdp')).toThrow(SdpError);
    expect(() => parseSdp('')).toThrow(SdpError);
  });
});

describe('the offer werift negotiates', () => {
  const munged = offerForWerift(parseSdp(OFFER), chooseCodecs(parseSdp(OFFER)));

  it('keeps only the chosen payload types and their RTX', () => {
    expect(munged).toContain('m=video 9 UDP/TLS/RTP/SAVPF 106 107\r\n');
    expect(munged).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n');
    expect(munged).not.toMatch(/rtpmap:(96|102|104|63|0) /);
  });

  it('has no transport-cc anywhere', () => {
    expect(munged).not.toContain('transport-cc');
    expect(munged).not.toContain('transport-wide-cc');
    expect(munged).toContain('a=rtcp-fb:106 nack');
  });
});

describe('the answer the browser gets', () => {
  const answer = [
    'v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0',
    'm=video 9 UDP/TLS/RTP/SAVPF 106', 'c=IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2116026367 10.0.0.5 40000 typ host generation 0',
    'a=candidate:2 1 udp 2116026367 192.168.1.9 40002 typ host generation 0',
    'a=rtpmap:106 H264/90000', 'a=fmtp:106 packetization-mode=1;profile-level-id=42e01f',
  ].join('\r\n');

  it('announces `ip` for candidates bound to `ip_local` and drops the others', () => {
    const out = touchAnswer(answer, { bindIp: '10.0.0.5', announceIp: '203.0.113.7' });
    expect(out).toContain('a=candidate:1 1 udp 2116026367 203.0.113.7 40000 typ host generation 0');
    expect(out).not.toContain('192.168.1.9');
    expect(out).not.toContain('10.0.0.5');
  });

  it('carries the bitrate hints on the H.264 fmtp', () => {
    const out = touchAnswer(answer, { videoPayloadType: 106, bitrateKbps: { min: 500, start: 2000, max: 2500 } });
    expect(out).toContain('a=fmtp:106 packetization-mode=1;profile-level-id=42e01f;x-google-min-bitrate=500;x-google-start-bitrate=2000;x-google-max-bitrate=2500\r\n');
  });

  it('adds an fmtp line for the hints after the rtpmap of a codec that has none (VP8)', () => {
    const vp8 = answer.replace('m=video 9 UDP/TLS/RTP/SAVPF 106', 'm=video 9 UDP/TLS/RTP/SAVPF 96')
      .replace('a=rtpmap:106 H264/90000\r\na=fmtp:106 packetization-mode=1;profile-level-id=42e01f', 'a=rtpmap:96 VP8/90000');
    const out = touchAnswer(vp8, { videoPayloadType: 96, bitrateKbps: { min: 500, start: 2000, max: 2500 } });
    expect(out).toContain('a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-min-bitrate=500;x-google-start-bitrate=2000;x-google-max-bitrate=2500\r\n');
    expect(out.match(/a=fmtp:96/g)).toHaveLength(1);
  });
});

describe('a bundle-only section (GStreamer webrtcbin offers its audio so)', () => {
  // RFC 8843 7.3.3: port 0 with a=bundle-only is not a rejected section; it rides the bundle.
  const offer = OFFER.replace('m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0', 'm=audio 0 UDP/TLS/RTP/SAVPF 111 63 0').replace('a=mid:0', 'a=mid:0\r\na=bundle-only');

  it('is received: its Opus is chosen', () => {
    expect(chooseCodecs(parseSdp(offer)).audio?.payloadType).toBe(111);
  });

  it('reaches werift with a non-zero port, so werift does not reject it', () => {
    const munged = offerForWerift(parseSdp(offer), chooseCodecs(parseSdp(offer)));
    expect(munged).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n');
  });

  it('a port-0 section without bundle-only stays rejected', () => {
    const rejected = OFFER.replace('m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0', 'm=audio 0 UDP/TLS/RTP/SAVPF 111 63 0');
    expect(chooseCodecs(parseSdp(rejected)).audio).toBeUndefined();
  });
});
