import { checkRtmpUrl, maskRtmpUrl } from '../../src/signaling/rtmp-url';
import { parseMessage, parsePublish } from '../../src/signaling/wcs-protocol';

describe('publishStream.rtmpUrl', () => {
  it.each([
    ['rtmp://a.rtmp.youtube.com/live2/abcd-efgh', true],
    ['rtmps://live-api-s.facebook.com:443/rtmp/FB-123', true],
    ['rtmp://127.0.0.1:1935/live', true],
    ['http://example.com/live/key', false],
    ['rtmp://host', false],
    ['not a url', false],
    ['', false],
  ])('%s valid: %s', (url, ok) => {
    expect(checkRtmpUrl(url).ok).toBe(ok);
  });

  it('masks everything after the application', () => {
    expect(maskRtmpUrl('rtmp://a.rtmp.youtube.com/live2/abcd-efgh')).toBe('rtmp://a.rtmp.youtube.com/live2/***');
    expect(maskRtmpUrl('rtmps://user:pass@host:443/app/key?x=1')).toBe('rtmps://host:443/app/***');
    expect(maskRtmpUrl('garbage')).toBe('***');
  });
});

describe('WCS messages', () => {
  it('never throws on random text', () => {
    for (const text of ['', 'null', '1', '"x"', '{}', '{"message":1}', '{"message":"x","data":{}}', '\u0000\u0001', '{"message":"' + 'x'.repeat(100) + '"}']) {
      expect(parseMessage(text).ok).toBe(false);
    }
    expect(parseMessage('{"message":"pong"}')).toEqual({ ok: true, msg: { message: 'pong', data: [] } });
  });

  it('reads publishStream as the WebSDK sends it', () => {
    const r = parsePublish([{ mediaSessionId: 'id', name: 'cam', sdp: 'v=0', rtmpUrl: 'rtmp://h/a/k', minBitrate: 0, maxBitrate: 1200, record: false }]);
    expect(r).toEqual({ ok: true, req: { mediaSessionId: 'id', name: 'cam', sdp: 'v=0', rtmpUrl: 'rtmp://h/a/k', bitrate: undefined, minBitrate: undefined, maxBitrate: 1200, record: false, hasAudio: undefined, hasVideo: undefined } });
    expect(parsePublish([null])).toMatchObject({ ok: false });
    expect(parsePublish([{ mediaSessionId: 'id', name: 'a\nb' }])).toMatchObject({ ok: false, error: 'Stream name is missing or invalid' });
  });
});
