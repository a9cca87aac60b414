/**
 * How each kind of RTMP destination may be shown. One table, written from the rule
 * (scheme, host, port and application at most; never the user, the password, any part
 * of the stream key, the query), drives the Node test of src/rtmp/redact-rtmp-url.ts and
 * the Chromium test of the pages (test/e2e/redaction-page.test.ts).
 */
export interface RedactionCase {
  raw: string;
  shown: string;
  /** Pieces of `raw` of which not even the first 4 characters may be shown. */
  secrets: string[];
}

export const REDACTION_CASES: RedactionCase[] = [
  { raw: 'rtmp://127.0.0.1:1935/live', shown: 'rtmp://127.0.0.1:1935/live', secrets: [] },
  { raw: 'rtmp://127.0.0.1:1935/live/', shown: 'rtmp://127.0.0.1:1935/live', secrets: [] },
  { raw: 'rtmp://host/live/zq9Xkey123', shown: 'rtmp://host/live/***', secrets: ['zq9Xkey123'] },
  { raw: 'rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop', shown: 'rtmp://a.rtmp.youtube.com/live2/***', secrets: ['abcd-efgh-ijkl-mnop'] },
  {
    raw: 'rtmps://live-api-s.facebook.com:443/rtmp/FB-1234567890-0-AbCdEf?s_bl=1&s_sw=0',
    shown: 'rtmps://live-api-s.facebook.com:443/rtmp/***?***',
    secrets: ['FB-1234567890-0-AbCdEf', 's_bl=1'],
  },
  { raw: 'rtmp://host/app/instance/zq9Xkey123', shown: 'rtmp://host/app/***', secrets: ['instance', 'zq9Xkey123'] },
  { raw: 'rtmp://host//app//zq9Xkey123', shown: 'rtmp://host/app/***', secrets: ['zq9Xkey123'] },
  { raw: 'rtmps://jdoe:pa:ss-W0rd@host:443/app/zq9Xkey', shown: 'rtmps://host:443/app/***', secrets: ['jdoe', 'pa:ss-W0rd', 'zq9Xkey'] },
  { raw: 'rtmp://jdoe:p@ss-W0rd@host/app/zq9Xkey', shown: 'rtmp://host/app/***', secrets: ['jdoe', 'p@ss-W0rd', 'zq9Xkey'] },
  { raw: 'rtmp://T0kenQ@host/app', shown: 'rtmp://host/app', secrets: ['T0kenQ'] },
  { raw: 'rtmp://jdoe:Hunt3r@host', shown: 'rtmp://host', secrets: ['jdoe', 'Hunt3r'] },
  { raw: 'rtmp://host/app?auth=Zyx987', shown: 'rtmp://host/app?***', secrets: ['auth=Zyx987', 'Zyx987'] },
  { raw: 'rtmp://host/live/?wcsuser&wcspass', shown: 'rtmp://host/live?***', secrets: ['wcsuser', 'wcspass'] },
  { raw: 'rtmp://host/app/zq9Xkey?auth=Zyx987#frag', shown: 'rtmp://host/app/***?***', secrets: ['zq9Xkey', 'Zyx987', 'frag'] },
  { raw: 'rtmp://[::1]:1935/live/zq9Xkey', shown: 'rtmp://[::1]:1935/live/***', secrets: ['zq9Xkey'] },
  { raw: 'RTMPS://Host.Example:443/b/zq9Xkey', shown: 'RTMPS://Host.Example:443/b/***', secrets: ['zq9Xkey'] },
  { raw: 'rtmp://host/app/***?***', shown: 'rtmp://host/app/***?***', secrets: [] },
  { raw: 'not a url with zq9Xkey123', shown: '<invalid url>', secrets: ['zq9Xkey123'] },
  { raw: '', shown: '', secrets: [] },
];

export interface PublishedNameCase {
  name: string;
  url: string;
  shown: string;
}

/** The name published at the server is hidden when the URL carries it (it is then the key). */
export const PUBLISHED_NAME_CASES: PublishedNameCase[] = [
  { name: 'rtmp_cam1', url: 'rtmp://host/live', shown: 'rtmp_cam1' },
  { name: 'zq9Xkey123', url: 'rtmp://host/live/zq9Xkey123', shown: '***' },
  { name: 'zq9Xkey123', url: 'rtmp://host/live?k=zq9Xkey123', shown: '***' },
  { name: 'live', url: 'rtmp://host/live', shown: 'live' },
  { name: '', url: 'rtmp://host/live/x', shown: '' },
];
