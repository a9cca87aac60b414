import {
  redactPublishedName,
  redactRtmpUrl,
  redactRtmpUrlsInText,
  secretPartsOfRtmpUrl,
} from '../../src/rtmp/redact-rtmp-url';
import { parseRtmpUrl, redactTarget } from '../../src/rtmp/rtmp-url';
import { PUBLISHED_NAME_CASES, REDACTION_CASES } from './redaction-cases';

describe('redactRtmpUrl: scheme, host, port and application at most', () => {
  test.each(REDACTION_CASES.map((c) => [c.raw, c] as const))('%j', (_raw, c) => {
    const shown = redactRtmpUrl(c.raw);
    expect(shown).toBe(c.shown);
    for (const secret of c.secrets) expect(shown).not.toContain(secret.slice(0, 4));
    // Showing it again changes nothing.
    if (c.shown !== '<invalid url>') expect(redactRtmpUrl(shown)).toBe(shown);
  });
});

describe('redactPublishedName', () => {
  test.each(PUBLISHED_NAME_CASES.map((c) => [c.name, c.url, c] as const))('%j of %j', (_n, _u, c) => {
    expect(redactPublishedName(c.name, c.url)).toBe(c.shown);
  });
});

describe('redactTarget (what RtmpPublisher logs) follows the same rule', () => {
  test('a full URL: no user, no password, no part of the key, no query', () => {
    const t = parseRtmpUrl('rtmp://jdoe:Hunt3r@host/live2/abcd-efgh-ijkl?s_bl=1', { fullUrl: true });
    const text = redactTarget(t);
    expect(text).toBe('rtmp://host:1935/live2/***?***');
    for (const secret of ['jdoe', 'Hunt3r', 'abcd', 's_bl']) expect(text).not.toContain(secret);
  });

  test('a name made by the server, and a query in the application', () => {
    const t = parseRtmpUrl('rtmp://host/live/?wcsuser&wcspass', { fullUrl: false, streamName: 'cam1', prefix: 'rtmp_' });
    expect(redactTarget(t)).toBe('rtmp://host:1935/live?***');
  });
});

describe('redactRtmpUrlsInText (logs and error text)', () => {
  test('every RTMP URL in a text is redacted by the rule', () => {
    expect(redactRtmpUrlsInText('to rtmp://jdoe:Hunt3r@h:1935/live/zq9Xkey now, then RTMPS://h/b/zq9Xkey?t=Zyx987')).toBe(
      'to rtmp://h:1935/live/*** now, then RTMPS://h/b/***?***',
    );
  });

  test('the secret parts of a known URL are hidden even outside a URL', () => {
    const url = 'rtmp://bob:hunter22@h:1935/live/KEY-abcdef?token=T0KEN-xyz&s_bl=1';
    expect(secretPartsOfRtmpUrl(url)).toEqual(['token=T0KEN-xyz&s_bl=1', 'KEY-abcdef', 'T0KEN-xyz', 'hunter22']);
    expect(redactRtmpUrlsInText('key KEY-abcdef pw hunter22 token T0KEN-xyz app live', [url])).toBe('key *** pw *** token *** app live');
  });
});
