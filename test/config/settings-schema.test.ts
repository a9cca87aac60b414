import {
  crossFieldIssues,
  defaultSettings,
  maskValue,
  SETTINGS,
  type SettingSpec,
  type Settings,
} from '../../src/config/settings-schema';
import {
  booleanKind,
  durationMsKind,
  enumKind,
  iceUrlKind,
  integerKind,
  ipAddressKind,
  listKind,
  optionalKind,
  portKind,
  rtmpUrlKind,
  stringKind,
  type ValueKind,
} from '../../src/config/value-kinds';

const SPECS = SETTINGS as readonly SettingSpec[];

function accepts<T>(kind: ValueKind<T>, text: string): T {
  const r = kind.schema.safeParse(text);
  if (!r.success) throw new Error(`rejected ${JSON.stringify(text)}: ${r.error.issues[0]?.message}`);
  return r.data;
}

function rejection<T>(kind: ValueKind<T>, text: string): string {
  const r = kind.schema.safeParse(text);
  if (r.success) throw new Error(`accepted ${JSON.stringify(text)} as ${JSON.stringify(r.data)}`);
  return r.error.issues[0]?.message ?? '';
}

describe('value kinds turn property text into typed values', () => {
  test('booleans are true or false in any letter case, nothing else', () => {
    const k = booleanKind();
    expect(accepts(k, 'true')).toBe(true);
    expect(accepts(k, 'TRUE')).toBe(true);
    expect(accepts(k, ' False ')).toBe(false);
    for (const bad of ['yes', '1', '', 'on', 'truee']) expect(rejection(k, bad)).toBe('expected true or false');
  });

  test('integers are decimal, whole and in range', () => {
    const k = integerKind({ min: -1 });
    expect(accepts(k, '-1')).toBe(-1);
    expect(accepts(k, '+5')).toBe(5);
    expect(accepts(k, '007')).toBe(7);
    expect(accepts(k, ' 42 ')).toBe(42);
    for (const bad of ['-2', '1.5', '1e3', '0x10', 'abc', '', '99999999999999999999']) {
      expect(rejection(k, bad)).toBe('expected an integer >= -1');
    }
    expect(rejection(integerKind({ min: 1, max: 3 }), '4')).toBe('expected an integer from 1 to 3');
    expect(rejection(integerKind(), 'x')).toBe('expected an integer');
  });

  test('durations are whole milliseconds', () => {
    const k = durationMsKind({ min: 1 });
    expect(accepts(k, '5000')).toBe(5000);
    expect(rejection(k, '0')).toBe('expected a duration in milliseconds >= 1');
    expect(rejection(k, '5s')).toBe('expected a duration in milliseconds >= 1');
  });

  test('ports are 1..65535', () => {
    const k = portKind();
    expect(accepts(k, '1')).toBe(1);
    expect(accepts(k, '65535')).toBe(65535);
    for (const bad of ['0', '65536', '-80', 'http']) expect(rejection(k, bad)).toBe('expected a port number from 1 to 65535');
  });

  test('addresses are IPv4 or IPv6 literals', () => {
    const k = ipAddressKind();
    expect(accepts(k, '127.0.0.1')).toBe('127.0.0.1');
    expect(accepts(k, ' ::1 ')).toBe('::1');
    for (const bad of ['localhost', '256.1.1.1', '1.2.3', '']) expect(rejection(k, bad)).toBe('expected an IPv4 or IPv6 address');
  });

  test('RTMP URLs need the rtmp or rtmps scheme and a host', () => {
    const k = rtmpUrlKind();
    expect(accepts(k, 'rtmp://127.0.0.1:1935/live')).toBe('rtmp://127.0.0.1:1935/live');
    expect(accepts(k, 'rtmps://a.rtmps.youtube.com:443/live2/key')).toBe('rtmps://a.rtmps.youtube.com:443/live2/key');
    for (const bad of ['http://host/live', 'rtmp://', 'rtmp:/live', 'garbage', '']) {
      expect(rejection(k, bad)).toBe('expected an rtmp:// or rtmps:// URL with a host');
    }
  });

  test('ICE URLs follow RFC 7064/7065', () => {
    const k = iceUrlKind(['turn', 'turns']);
    expect(accepts(k, 'turn:turn.example.com:3478?transport=tcp')).toBe('turn:turn.example.com:3478?transport=tcp');
    expect(accepts(k, 'turns:[2001:db8::1]:5349')).toBe('turns:[2001:db8::1]:5349');
    for (const bad of ['stun:host', 'turn:', 'turn:host:99999', 'turn:host?transport=sctp']) rejection(k, bad);
  });

  test('lists are comma-separated, blanks ignored, each item checked', () => {
    const k = listKind(iceUrlKind(['stun', 'stuns']), 'a list');
    expect(accepts(k, ' stun:a.example:3478 , stun:b ,, ')).toEqual(['stun:a.example:3478', 'stun:b']);
    expect(accepts(k, '')).toEqual([]);
    expect(rejection(k, 'stun:a,http://x')).toMatch(/in the list, got "http:\/\/x"$/);
  });

  test('enums accept any letter case and keep the canonical spelling', () => {
    const k = enumKind(['HIGH_LEVEL', 'INTERNAL', 'NONE']);
    expect(accepts(k, 'internal')).toBe('INTERNAL');
    expect(rejection(k, 'SOMETIMES')).toBe('expected one of HIGH_LEVEL, INTERNAL, NONE');
  });

  test('texts are trimmed unless raw; optional values are unset when empty', () => {
    expect(accepts(stringKind(), '  rtmp_  ')).toBe('rtmp_');
    expect(accepts(stringKind(), '')).toBe('');
    expect(accepts(stringKind({ raw: true }), ' p w ')).toBe(' p w ');
    expect(rejection(stringKind({ nonEmpty: true }), '  ')).toBe('expected a non-empty text');
    const opt = optionalKind(ipAddressKind());
    expect(accepts(opt, '')).toBeUndefined();
    expect(accepts(opt, '   ')).toBeUndefined();
    expect(accepts(opt, '10.0.0.1')).toBe('10.0.0.1');
    expect(rejection(opt, 'nope')).toBe('expected an IPv4 or IPv6 address');
  });
});

describe('the settings table', () => {
  test('keys, aliases and fields are unique and well formed', () => {
    const keys = SPECS.flatMap((s) => [s.key, ...(s.aliases ?? [])]);
    expect(new Set(keys).size).toBe(keys.length);
    const fields = SPECS.map((s) => s.field);
    expect(new Set(fields).size).toBe(fields.length);
    for (const s of SPECS) {
      expect(s.key).toMatch(/^[a-z0-9_.]+$/);
      expect(s.field).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(s.comment.length).toBeGreaterThan(10);
      expect(s.comment).not.toMatch(/\n/);
    }
  });

  test('every default is written as text that reads back as the same default', () => {
    for (const s of SPECS) {
      if (s.default === undefined) {
        expect({ key: s.key, example: s.example }).toEqual({ key: s.key, example: expect.any(String) });
        // The CA file example names a file of the admin's machine: checked as a missing file.
        if (s.key === 'rtmp_push_ca_file') expect(rejection(s.kind, s.example!)).toMatch(/no such file$/);
        else expect(accepts(s.kind, s.example!)).toBeDefined();
      } else {
        expect({ key: s.key, value: accepts(s.kind, s.kind.format(s.default)) }).toEqual({ key: s.key, value: s.default });
      }
    }
  });

  test('defaultSettings has one field per entry, with the WCS defaults the brief names', () => {
    const d = defaultSettings();
    expect(Object.keys(d).sort()).toEqual(SPECS.map((s) => s.field).sort());
    expect(d).toMatchObject({
      rtmpTransponderStreamNamePrefix: 'rtmp_',
      rtmpTransponderFullUrl: false,
      rtmpTransponderSendMetadata: true,
      rtmpPushRestore: false,
      rtmpPushRestoreAttempts: 3,
      rtmpPushRestoreIntervalMs: 5000,
      rtmpOutBufferEnabled: false,
      rtmpOutBufferStartSize: 300,
      rtmpOutBufferInitialSize: 2000,
      rtmpOutBufferPollingTime: 50,
      rtmpOutBufferMaxBufferingsAllowed: -1,
      periodicFirRequest: true,
      periodicFirRequestInterval: 2000,
      rtcpPliRequestInterval: 1000,
      wsPort: 8080,
      wssPort: 8443,
      httpPort: 8081,
      mediaPortFrom: 31001,
      mediaPortTo: 32000,
      webrtcCcMinBitrate: 30000,
      webrtcCcMaxBitrate: 10000000,
      keepAliveAlgorithm: 'HIGH_LEVEL',
      keepAliveServerInterval: 5000,
      keepAliveProbes: 10,
      mediaDir: 'media',
    });
    expect(d.rtmpPublisherIp).toBeUndefined();
    expect(d.ffmpegPath).toBeUndefined();
  });

  test('defaultSettings gives a fresh copy each time', () => {
    const a = defaultSettings();
    a.iceStunServers.push('stun:x');
    expect(defaultSettings().iceStunServers).toEqual([]);
  });

  test('the defaults pass every cross-field rule', () => {
    expect(crossFieldIssues(defaultSettings())).toEqual([]);
  });

  test('passwords and tokens are secret, RTMP URLs are masked after the host', () => {
    const secrecy = Object.fromEntries(SPECS.filter((s) => s.secret).map((s) => [s.key, s.secret]));
    expect(secrecy).toEqual({
      rtmp_push_auto_start_url: 'url',
      rest_hook_url: 'url',
      rest_auth_password: 'secret',
      rest_auth_token: 'secret',
      metrics_token: 'secret',
      ice_turn_password: 'secret',
      rest_hook_secret_key: 'secret',
      publish_token: 'secret',
      whip_token: 'secret',
      cluster_redis_url: 'secret',
      cluster_secret: 'secret',
    });
    expect(maskValue('secret', 'hunter2')).toBe('***');
    expect(maskValue('url', 'rtmp://user:pw@a.rtmp.youtube.com:1935/live2/abcd-efgh')).toBe('rtmp://a.rtmp.youtube.com:1935/live2/***');
    expect(maskValue('url', 'not a url with key')).toBe('<invalid url>');
    expect(maskValue(undefined, 'plain')).toBe('plain');
  });
});

describe('cross-field rules', () => {
  const with_ = (patch: Partial<Settings>): Settings => ({ ...defaultSettings(), ...patch });
  const blamed = (s: Settings): string[] => crossFieldIssues(s).map((i) => i.keys[0]);

  test.each<[string, Partial<Settings>, string[]]>([
    ['media port range upside down', { mediaPortFrom: 40000, mediaPortTo: 32000 }, ['media_port_from']],
    ['ws and http on one port', { httpPort: 8080 }, ['http.port']],
    ['all three ports equal', { wssPort: 8080, httpPort: 8080 }, ['wss.port', 'http.port', 'http.port']],
    ['wss certificate without key', { wssCertFile: '/c.pem' }, ['wss_cert_file']],
    ['wss key without certificate', { wssKeyFile: '/k.pem' }, ['wss_key_file']],
    ['auto start without URL', { rtmpPushAutoStart: true }, ['rtmp_push_auto_start']],
    ['out buffer start above its maximum', { rtmpOutBufferEnabled: true, rtmpOutBufferStartSize: 3000 }, ['rtmp_out_buffer_start_size']],
    ['bitrate limits upside down', { webrtcCcMinBitrate: 2, webrtcCcMaxBitrate: 1 }, ['webrtc_cc_min_bitrate']],
    ['REST auth on without credentials', { disableRestAuth: false }, ['disable_rest_auth']],
    ['REST user without password', { restAuthUser: 'admin' }, ['rest_auth_user']],
    ['REST password without user', { restAuthPassword: 'pw' }, ['rest_auth_password']],
    ['TURN server without credentials', { iceTurnServer: 'turn:h' }, ['ice_turn_server']],
    ['TURN password alone', { iceTurnPassword: 'pw' }, ['ice_turn_password']],
  ])('%s', (_name, patch, keys) => {
    expect(blamed(with_(patch))).toEqual(keys);
  });

  test.each<[string, Partial<Settings>]>([
    ['out buffer values are free while the buffer is off', { rtmpOutBufferStartSize: 3000 }],
    ['auto start URL without auto start', { rtmpPushAutoStartUrl: ['rtmp://h/live'] }],
    ['REST auth with a token only', { disableRestAuth: false, restAuthToken: 't' }],
    ['REST auth with user and password', { disableRestAuth: false, restAuthUser: 'u', restAuthPassword: 'p' }],
    ['a complete TURN server', { iceTurnServer: 'turn:h', iceTurnUsername: 'u', iceTurnPassword: 'p' }],
    ['a one-port media range', { mediaPortFrom: 40000, mediaPortTo: 40000 }],
  ])('no complaint: %s', (_name, patch) => {
    expect(crossFieldIssues(with_(patch))).toEqual([]);
  });
});
