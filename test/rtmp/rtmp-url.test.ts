import { parseRtmpUrl, redactRtmpUrl, redactTarget, RtmpUrlError } from '../../src/rtmp/rtmp-url';

const byName = { fullUrl: false, streamName: 'cam1', prefix: 'rtmp_' };
const full = { fullUrl: true };

describe('parseRtmpUrl', () => {
  const cases: Array<{ url: string; naming: typeof byName | typeof full; app: string; tcUrl: string; name: string; port: number; scheme: string }> = [
    { url: 'rtmp://localhost/live', naming: byName, app: 'live', tcUrl: 'rtmp://localhost:1935/live', name: 'rtmp_cam1', port: 1935, scheme: 'rtmp' },
    { url: 'rtmp://h.example:1936/live/instance', naming: byName, app: 'live/instance', tcUrl: 'rtmp://h.example:1936/live/instance', name: 'rtmp_cam1', port: 1936, scheme: 'rtmp' },
    // The WCS capture: connect('live/?user1&pass1') — trailing slash and query kept in app and tcUrl.
    { url: 'rtmp://host:1935/live/?user1&pass1', naming: byName, app: 'live/?user1&pass1', tcUrl: 'rtmp://host:1935/live/?user1&pass1', name: 'rtmp_cam1', port: 1935, scheme: 'rtmp' },
    { url: 'rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl', naming: full, app: 'live2', tcUrl: 'rtmp://a.rtmp.youtube.com:1935/live2', name: 'abcd-efgh-ijkl', port: 1935, scheme: 'rtmp' },
    // Facebook-style key: the query belongs to the stream name.
    { url: 'rtmps://live-api-s.facebook.com:443/rtmp/FB-1-0-AbC?s_bl=1&s_sw=0', naming: full, app: 'rtmp', tcUrl: 'rtmps://live-api-s.facebook.com:443/rtmp', name: 'FB-1-0-AbC?s_bl=1&s_sw=0', port: 443, scheme: 'rtmps' },
    { url: 'rtmps://secure.example/app/inst/key', naming: full, app: 'app/inst', tcUrl: 'rtmps://secure.example:443/app/inst', name: 'key', port: 443, scheme: 'rtmps' },
    { url: 'RTMP://[::1]:1940/live', naming: byName, app: 'live', tcUrl: 'rtmp://[::1]:1940/live', name: 'rtmp_cam1', port: 1940, scheme: 'rtmp' },
  ];
  it.each(cases)('$url', (c) => {
    const t = parseRtmpUrl(c.url, c.naming);
    expect(t.app).toBe(c.app);
    expect(t.tcUrl).toBe(c.tcUrl);
    expect(t.streamName).toBe(c.name);
    expect(t.port).toBe(c.port);
    expect(t.scheme).toBe(c.scheme);
  });

  it('takes credentials out of the authority and never into tcUrl', () => {
    const t = parseRtmpUrl('rtmp://us%40er:p%3Ass@host/live', byName);
    expect(t.credentials).toEqual({ user: 'us@er', password: 'p:ss' });
    expect(t.tcUrl).toBe('rtmp://host:1935/live');
  });

  it('an empty prefix publishes the name as given', () => {
    expect(parseRtmpUrl('rtmp://h/live', { fullUrl: false, streamName: 'key', prefix: '' }).streamName).toBe('key');
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['http://host/live', /scheme "http"/],
    ['rtmp:///live', /no host/],
    ['rtmp://host', /no application/],
    ['rtmp://host:0/live', /port "0"/],
    ['rtmp://host:70000/live', /port "70000"/],
    ['rtmp://host:12ab/live', /port/],
    ['rtmp://ho st/live', /whitespace/],
    ['rtmp://host/live\n', /whitespace or control/],
    ['rtmp://ho$t/live', /not a valid host/],
    ['not a url', /whitespace|not a URL/],
  ];
  it.each(bad)('refuses %j', (url, message) => {
    expect(() => parseRtmpUrl(url, byName)).toThrow(RtmpUrlError);
    expect(() => parseRtmpUrl(url, byName)).toThrow(message);
  });

  it('refuses a full URL without a stream element', () => {
    expect(() => parseRtmpUrl('rtmp://host/live', full)).toThrow(/name the application and the stream/);
  });

  it('errors never contain the password', () => {
    try {
      parseRtmpUrl('rtmp://user:s3cret@host:99999/live', byName);
      throw new Error('no error');
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
    }
  });
});

describe('redaction', () => {
  it('hides password, stream key and query values', () => {
    const t = parseRtmpUrl('rtmp://bob:s3cret@host/live2/abcd-efgh-ijkl', full);
    const text = redactTarget(t);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('efgh');
    expect(text).not.toContain('abcd');
    expect(text).not.toContain('bob');
    expect(text).toBe('rtmp://host:1935/live2/***');
  });

  it('hides a query in the application', () => {
    const t = parseRtmpUrl('rtmp://host/live/?user1&pass1', byName);
    expect(redactTarget(t)).not.toContain('pass1');
  });

  it('redacts raw strings, even ones that do not parse', () => {
    expect(redactRtmpUrl('rtmp://u:p@host:1935/live2/KEY?x=1')).toBe('rtmp://host:1935/live2/***?***');
    expect(redactRtmpUrl('garbage')).toBe('<invalid url>');
  });
});
