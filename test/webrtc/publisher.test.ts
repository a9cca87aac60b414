import { silentLogger } from '../../src/log';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { firPacket } from '../../src/webrtc/fir-packet';
import { chooseBindAddress, Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { SdpError } from '../../src/webrtc/sdp-offer';
import { syntheticOffer } from './synthetic-offer';

const options = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' };

describe('Publisher without a browser', () => {
  const open: Publisher[] = [];
  // Each close returns the peer connection's release: wait for it, so nothing outlives the test.
  afterEach(async () => { await Promise.all(open.splice(0).map((p) => p.close('test over'))); });

  async function create(name = 'p'): Promise<Publisher> {
    const p = await Publisher.create({ streamName: name, offerSdp: syntheticOffer(), options, log: silentLogger });
    open.push(p);
    return p;
  }

  it('answers with H.264 packetization-mode=1, Opus, our loopback candidate and the bitrate hints', async () => {
    const p = await create();
    expect(p.answerSdp).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    expect(p.answerSdp).toContain('a=rtpmap:106 H264/90000');
    expect(p.answerSdp).not.toContain('a=rtpmap:102 ');
    expect(p.answerSdp).toContain('a=rtpmap:111 opus/48000/2');
    expect(p.answerSdp).toContain('x-google-start-bitrate=2500');
    expect(p.answerSdp).toContain('a=rtcp-fb:106 goog-remb');
    // werift is the DTLS server: its client role cannot recover a lost final flight (see dtls-role.ts)
    expect(p.answerSdp.match(/a=setup:\w+/g)).toEqual(['a=setup:passive', 'a=setup:passive']);
    expect(p.toJSON()).toMatchObject({ streamName: 'p', state: 'connecting', video: { payloadType: 106, profileLevelId: '42e01f', frames: 0 }, audio: { payloadType: 111 } });
  });

  it('takes the publisher bitrate wishes over the settings', async () => {
    const p = await Publisher.create({ streamName: 'w', offerSdp: syntheticOffer(), options, bitrate: { minBitrate: 500, maxBitrate: 1200 }, log: silentLogger });
    open.push(p);
    expect(p.toJSON().bitrateLimitKbps).toEqual({ min: 500, start: 1200, max: 1200 });
    expect(p.answerSdp).toContain('x-google-min-bitrate=500;x-google-start-bitrate=1200;x-google-max-bitrate=1200');
  });

  it('without a maxBitrate from the publisher, starts at the 720p rate, keeps webrtc_cc_max_bitrate as the hint, and lets the REMB follow the size', async () => {
    const p = await Publisher.create({ streamName: 'r', offerSdp: syntheticOffer(), options: { ...options, minBitrateKbps: 30, maxBitrateKbps: 10000 }, log: silentLogger });
    open.push(p);
    expect(p.answerSdp).toContain('x-google-min-bitrate=30;x-google-start-bitrate=2500;x-google-max-bitrate=10000');
    expect(p.toJSON().bitrateLimitKbps).toEqual({ min: 30, start: 2500, max: 10000, remb: 2500 });
  });

  it('rejects an offer without H.264 or Opus with an SdpError', async () => {
    await expect(Publisher.create({ streamName: 'x', offerSdp: syntheticOffer().replace(/opus/g, 'ISAC'), options, log: silentLogger })).rejects.toThrow(SdpError);
  });

  it('close is idempotent, says why once, and a closed publisher ignores keyframe requests', async () => {
    const p = await create();
    const reasons: string[] = [];
    p.on('close', (r) => reasons.push(r));
    p.on('close', () => { throw new Error('a broken listener'); });
    p.close('first');
    p.close('second');
    expect(reasons).toEqual(['first']);
    expect(p.closed).toBe(true);
    expect(p.toJSON()).toMatchObject({ state: 'closed', closeReason: 'first' });
    expect(() => p.requestKeyframe()).not.toThrow();
  });

  it('close() is marked at once and returns the release, the same one for a second call; once it resolves the peer connection is closed', async () => {
    const p = await create();
    const pc = (p as unknown as { pc: { connectionState: string; signalingState: string } }).pc;
    const release = p.close('bye');
    expect(p.closed).toBe(true);
    expect(p.close('again')).toBe(release);
    expect(p.drained).toBe(release);
    await release;
    expect(pc.signalingState).toBe('closed');
  });

  it('ends by itself when ICE does not come up in time', async () => {
    const p = await Publisher.create({ streamName: 't', offerSdp: syntheticOffer(), options: { ...options, connectTimeoutMs: 200 }, log: silentLogger });
    open.push(p);
    const reason = await new Promise<string>((r) => p.once('close', r));
    expect(reason).toBe('ICE/DTLS not connected within 200 ms');
  });
});

describe('address choice (ip / ip_local)', () => {
  it('binds to ip_local when set', () => {
    expect(chooseBindAddress({ ip: '203.0.113.7', ipLocal: '10.0.0.5' }, ['10.0.0.5'])).toBe('10.0.0.5');
  });
  it('binds to ip when it is one of our addresses, loopback included', () => {
    expect(chooseBindAddress({ ip: '10.0.0.5' }, ['10.0.0.5', '192.168.1.2'])).toBe('10.0.0.5');
    expect(chooseBindAddress({ ip: '127.0.0.1' }, ['10.0.0.5'])).toBe('127.0.0.1');
  });
  it('with only a foreign ip (NAT), binds to the first interface and announces ip', () => {
    expect(chooseBindAddress({ ip: '203.0.113.7' }, ['10.0.0.5'])).toBe('10.0.0.5');
  });
  it('with neither, leaves the choice to werift (every interface)', () => {
    expect(chooseBindAddress({}, ['10.0.0.5'])).toBeUndefined();
  });
});

describe('StreamRegistry', () => {
  it('holds a name while it is reserved or published, and frees it when the publisher closes', async () => {
    const registry = new StreamRegistry(silentLogger);
    expect(registry.reserve('cam')).toBe(true);
    expect(registry.reserve('cam')).toBe(false);
    const p = await Publisher.create({ streamName: 'cam', offerSdp: syntheticOffer(), options, log: silentLogger });
    const events: string[] = [];
    registry.on('publish', (pub, info) => events.push(`publish ${pub.streamName} ${info.rtmpUrl}`));
    registry.on('unpublish', (pub, reason) => events.push(`unpublish ${pub.streamName} ${reason}`));
    registry.on('publish', () => { throw new Error('a broken consumer'); });
    registry.add(p, { streamName: 'cam', mediaSessionId: 'm', sessionId: 's', rtmpUrl: 'rtmp://h/app/key', bitrate: {}, record: false });
    expect(registry.get('cam')).toBe(p);
    expect(registry.list()).toEqual([p]);
    expect(() => registry.add(p, { streamName: 'cam', mediaSessionId: 'm', sessionId: 's', bitrate: {}, record: false })).toThrow(/already published/);
    p.close('bye');
    expect(registry.get('cam')).toBeUndefined();
    expect(registry.isFree('cam')).toBe(true);
    expect(events).toEqual(['publish cam rtmp://h/app/key', 'unpublish cam bye']);
  });
});

describe('keyframe request messages', () => {
  it('FIR has the RFC 5104 layout: PSFB FMT 4, media SSRC 0, FCI with SSRC and sequence', () => {
    const bytes = firPacket(0x11223344, 0xaabbccdd, 7).serialize();
    expect(bytes.toString('hex')).toBe(
      '84ce0004' + // V=2 P=0 FMT=4, PT=206 (PSFB), length 4 words after the first
      '11223344' + // sender SSRC
      '00000000' + // media source SSRC: 0 for FIR
      'aabbccdd' + // FCI: SSRC of the stream
      '07000000', //  FCI: command sequence number, reserved
    );
  });
});
