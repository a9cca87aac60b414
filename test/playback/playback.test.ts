import { silentLogger } from '../../src/log';
import { Playback, PlaybackRefused, defaultPlaybackOptions, type Viewer } from '../../src/playback';
import { chooseViewerCodecs, viewerOfferForWerift } from '../../src/playback/viewer-sdp';
import { Publisher } from '../../src/webrtc/publisher';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { parseSdp, SdpError } from '../../src/webrtc/sdp-offer';
import { syntheticOffer } from '../webrtc/synthetic-offer';

const network = { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' };

/** A player's offer shaped like Chromium's for play(): recvonly, no SSRCs, several H.264 entries. */
function playerOffer(): string {
  return syntheticOffer()
    .replace(/a=sendonly/g, 'a=recvonly')
    .replace(/a=(ssrc|msid):.*\r\n/g, '')
    .replace('m=video 9 UDP/TLS/RTP/SAVPF 102 106', 'm=video 9 UDP/TLS/RTP/SAVPF 102 106 107 108')
    .replace('a=ssrc:2222 cname:x\r\n', '')
    .replace(/(a=fmtp:106 [^\r]*\r\n)/, '$1a=rtpmap:107 rtx/90000\r\na=fmtp:107 apt=106\r\na=rtpmap:108 H264/90000\r\na=rtcp-fb:108 nack\r\na=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f\r\na=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n');
}

describe('viewer SDP', () => {
  it('takes the H.264 packetization-mode=1 entry with the publisher\'s profile, and Opus', () => {
    const choice = chooseViewerCodecs(parseSdp(playerOffer()), { video: { payloadType: 96, fmtp: '', profileLevelId: '640c1f' }, audio: { payloadType: 100, fmtp: '' } });
    expect(choice.video?.payloadType).toBe(108);
    expect(choice.audio?.payloadType).toBe(111);
    const baseline = chooseViewerCodecs(parseSdp(playerOffer()), { video: { payloadType: 96, fmtp: '', profileLevelId: '42e01f' } });
    expect(baseline).toEqual({ video: { payloadType: 106, fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', profileLevelId: '42e01f' } });
  });

  it('leaves werift only the chosen payload type per section: no RTX, no header extensions', () => {
    const parsed = parseSdp(playerOffer());
    const offer = viewerOfferForWerift(parsed, chooseViewerCodecs(parsed, { video: { payloadType: 96, fmtp: '', profileLevelId: '42e01f' }, audio: { payloadType: 100, fmtp: '' } }));
    expect(offer).toContain('m=video 9 UDP/TLS/RTP/SAVPF 106\r\n');
    expect(offer).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n');
    expect(offer).not.toMatch(/a=(rtpmap|fmtp|rtcp-fb):(102|107|108) /);
    expect(offer).not.toContain('a=extmap:');
  });

  it('refuses a player that cannot receive the stream\'s codec', () => {
    const noH264 = playerOffer().replace(/H264/g, 'VP8');
    expect(() => chooseViewerCodecs(parseSdp(noH264), { video: { payloadType: 96, fmtp: '', profileLevelId: '42e01f' } })).toThrow(SdpError);
  });
});

describe('Playback without a browser', () => {
  const publishers: Publisher[] = [];
  let playback: Playback;
  beforeEach(() => { playback = new Playback({ ...defaultPlaybackOptions, maxViewersPerStream: 2, maxViewersTotal: 3 }, network, silentLogger); });
  afterEach(async () => {
    await playback.close('test over');
    await Promise.all(publishers.splice(0).map((p) => p.close('test over')));
  });

  async function publisher(name: string): Promise<Publisher> {
    const p = await Publisher.create({ streamName: name, offerSdp: syntheticOffer(), options: network, log: silentLogger });
    publishers.push(p);
    return p;
  }

  it('answers sendonly with our SSRCs in one msid stream, the chosen payload types, and werift as DTLS server', async () => {
    const viewer = await playback.play(await publisher('a'), playerOffer());
    const sdp = viewer.answerSdp;
    expect(sdp.match(/a=sendonly/g)).toHaveLength(2);
    expect(sdp).toContain('m=video 9 UDP/TLS/RTP/SAVPF 106\r\n');
    expect(sdp.match(/a=setup:\w+/g)).toEqual(['a=setup:passive', 'a=setup:passive']);
    const streams = new Set([...sdp.matchAll(/a=msid:(\S+) /g)].map((m) => m[1]));
    expect(streams.size).toBe(1);
    expect(sdp.match(/a=ssrc:\d+ cname:/g)).toHaveLength(2);
    expect(sdp).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    expect(viewer.state).toBe('connecting');
  });

  it('counts slots per stream and in total, refuses past either limit with the limit named, and frees a slot when a viewer closes', async () => {
    const a = await publisher('a');
    const b = await publisher('b');
    // Concurrent plays: slots are taken before the first await.
    const plays = await Promise.allSettled([playback.play(a, playerOffer()), playback.play(a, playerOffer()), playback.play(a, playerOffer())]);
    expect(plays.map((p) => p.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((plays[2] as PromiseRejectedResult).reason).toBeInstanceOf(PlaybackRefused);
    expect(String((plays[2] as PromiseRejectedResult).reason.message)).toMatch(/Limit of 2 players per stream/);
    await playback.play(b, playerOffer());
    await expect(playback.play(b, playerOffer())).rejects.toThrow(/Server limit of 3 players/);
    expect(playback.viewerCount).toBe(3);
    expect(playback.viewersOf('a')).toBe(2);
    const first = (plays[0] as PromiseFulfilledResult<Viewer>).value;
    await first.close('done');
    expect(playback.viewerCount).toBe(2);
    await expect(playback.play(b, playerOffer())).resolves.toBeDefined();
    playback.update({ maxViewersTotal: 1 });
    await expect(playback.play(a, playerOffer())).rejects.toThrow(/Server limit of 1 players/);
  });

  it('a player asking for audio of a video-only stream gets video, its audio section rejected', async () => {
    const offer = syntheticOffer();
    const videoOnly = offer.slice(0, offer.indexOf('m=audio')).replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 1') + offer.slice(offer.indexOf('m=video'));
    const p = await Publisher.create({ streamName: 'v', offerSdp: videoOnly, options: network, log: silentLogger });
    publishers.push(p);
    expect(p.hasAudio()).toBe(false);
    const viewer = await playback.play(p, playerOffer());
    expect(viewer.answerSdp).toMatch(/m=audio 0 /);
    expect(viewer.answerSdp.match(/a=sendonly/g)).toHaveLength(1);
    expect(viewer.toJSON().audio).toBeUndefined();
  });

  it('a bad offer takes no slot', async () => {
    const a = await publisher('a');
    await expect(playback.play(a, playerOffer().replace(/H264/g, 'VP8').replace(/opus/g, 'ISAC'))).rejects.toThrow(SdpError);
    expect(playback.viewerCount).toBe(0);
  });

  it('a publisher that closes ends its viewers (cause publisher-gone); close is marked at once, says why once, and is absorbing', async () => {
    const a = await publisher('a');
    const viewer = await playback.play(a, playerOffer());
    const ends: string[] = [];
    viewer.on('close', (reason, cause) => ends.push(`${cause}: ${reason}`));
    a.close('unpublished by the client');
    expect(viewer.closed).toBe(true);
    expect(ends).toEqual(['publisher-gone: publisher ended: unpublished by the client']);
    expect(viewer.close('again')).toBe(viewer.drained);
    expect(ends).toHaveLength(1);
    expect(viewer.toJSON()).toMatchObject({ state: 'closed', closeReason: 'publisher ended: unpublished by the client' });
    await viewer.drained;
    expect(playback.viewerCount).toBe(0);
  });

  it('a viewer whose browser never connects ends by ICE timeout', async () => {
    const short = new Playback(defaultPlaybackOptions, { ...network, connectTimeoutMs: 100 }, silentLogger);
    try {
      const viewer = await short.play(await publisher('a'), playerOffer());
      const cause = await new Promise<string>((resolve) => viewer.on('close', (_r, c) => resolve(c)));
      expect(cause).toBe('ice-timeout');
      expect(short.viewerCount).toBe(0);
    } finally {
      await short.close('test over');
    }
  });

  it('refuses new plays once closing', async () => {
    const a = await publisher('a');
    await playback.close('stopping');
    await expect(playback.play(a, playerOffer())).rejects.toThrow(PlaybackRefused);
  });
});
