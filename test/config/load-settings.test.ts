import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describeSettings, loadSettings, parseSettings, SettingsError } from '../../src/config/load-settings';
import { isShownAsExample, renderDefaultProperties } from '../../src/config/render-properties';
import { defaultSettings, maskValue, SETTINGS, type SettingSpec } from '../../src/config/settings-schema';

const SPECS = SETTINGS as readonly SettingSpec[];
const SRC = 'flashphoner.properties';
const REPO = join(__dirname, '..', '..');

/** The SettingsError `fn` throws (fails the test when it returns or throws anything else). */
function settingsError(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error('expected a SettingsError');
}

describe('parseSettings', () => {
  test('an empty file gives the defaults', () => {
    const loaded = parseSettings('', SRC);
    expect(loaded).toEqual({ settings: defaultSettings(), ignoredKeys: [], warnings: [], sourceName: SRC });
  });

  test('values of every type are read and typed', () => {
    const { settings } = parseSettings(
      [
        'rtmp_push_restore = TRUE',
        'rtmp_push_restore_attempts: -1',
        'ws.port 9080',
        'rtmp_publisher_ip=::1',
        'rtmp_push_auto_start_url=rtmps://a.rtmps.youtube.com:443/live2/key',
        'ice_stun_servers=stun:stun.l.google.com:19302, stun:127.0.0.1',
        'keep_alive.algorithm=internal',
        'rtmp_transponder_stream_name_prefix=',
        'rest_auth_password=\\ spaced pw ',
        'rest_auth_user=admin',
        'ffmpeg_path=',
      ].join('\n'),
      SRC,
    );
    expect(settings).toMatchObject({
      rtmpPushRestore: true,
      rtmpPushRestoreAttempts: -1,
      wsPort: 9080,
      rtmpPublisherIp: '::1',
      rtmpPushAutoStartUrl: ['rtmps://a.rtmps.youtube.com:443/live2/key'],
      iceStunServers: ['stun:stun.l.google.com:19302', 'stun:127.0.0.1'],
      keepAliveAlgorithm: 'INTERNAL',
      rtmpTransponderStreamNamePrefix: '',
      restAuthPassword: ' spaced pw ',
      restAuthUser: 'admin',
      ffmpegPath: undefined,
    });
  });

  test('a wrong value names file, line, key, value and what was expected', () => {
    const lines = Array.from({ length: 11 }, (_, i) => `# line ${i + 1}`);
    lines.push('rtmp_push_restore_attempts=abc');
    const err = settingsError(() => parseSettings(lines.join('\n'), SRC));
    expect(err.message).toBe('flashphoner.properties:12: rtmp_push_restore_attempts = "abc": expected an integer >= -1');
    expect(err.problems).toEqual([err.message]);
    expect(err.sourceName).toBe(SRC);
  });

  /** A value each kind refuses; settings that accept any text have none. */
  const BAD_VALUE: Record<string, string> = {
    'true or false': 'maybe',
    'a port number from 1 to 65535': '70000',
    'an IPv4 or IPv6 address': 'not-an-ip',
    'an rtmp:// or rtmps:// URL with a host': 'http://example.com/live',
    'an http:// or https:// URL with a host': 'ftp://example.com/hooks',
    'a non-empty text': '',
    'an executable file (a path, or a command on PATH)': '/nonexistent/bin/ffmpeg',
    'rtmp:// or rtmps:// URLs with a host, separated by commas': 'http://example.com/live',
    'a readable PEM file with at least one certificate': '/nonexistent/ca.pem',
  };
  function badValueFor(spec: SettingSpec): string | undefined {
    const e = spec.kind.expected;
    if (e in BAD_VALUE) return BAD_VALUE[e];
    if (e.startsWith('an integer') || e.startsWith('a duration')) return '12x';
    if (e.startsWith('a comma-separated list')) return 'stun:ok.example,bogus';
    if (e.startsWith('a stun') || e.startsWith('a turn')) return 'http://bogus';
    if (e.startsWith('one of')) return 'SOMETIMES';
    return undefined;
  }
  const withBadValue = SPECS.flatMap((spec) => {
    const bad = badValueFor(spec);
    // An optional text is never wrong: blank means unset.
    return bad === undefined || (bad === '' && spec.default === undefined) ? [] : [[spec.key, bad, spec] as const];
  });

  test('almost every setting has a value that is wrong', () => {
    const free = SPECS.filter((s) => !withBadValue.some(([k]) => k === s.key)).map((s) => s.key);
    expect(free.sort()).toEqual(
      [
        'rtmp_transponder_stream_name_prefix',
        'rtmp_flash_ver_subscriber',
        'wss_cert_file',
        'wss_key_file',
        'rest_auth_user',
        'rest_auth_password',
        'rest_auth_token',
        'metrics_token',
        'ice_turn_username',
        'ice_turn_password',
        'rest_hook_secret_key',
        'publish_token',
        'whip_token',
        // Any non-empty text: a Redis URL (may hold a password), the nodes' shared secret.
        'cluster_redis_url',
        'cluster_secret',
      ].sort(),
    );
  });

  test.each(withBadValue)('%s = %j is refused, naming key and line', (key, bad, spec) => {
    const err = settingsError(() => parseSettings(`# first\n\n${key}=${bad}\n`, SRC));
    expect(err.problems).toHaveLength(1);
    // An RTMP URL setting is shown as redactRtmpUrl shows it: here, all of it is harmless.
    const shown = spec.secret === 'url' ? maskValue('url', bad) : bad;
    expect(err.problems[0]).toMatch(new RegExp(`^flashphoner\\.properties:3: ${key.replace(/\./g, '\\.')} = "${shown.replace(/[.*?/]/g, '\\$&')}": expected `));
  });

  test('all wrong values are reported at once, in file order', () => {
    const err = settingsError(() =>
      parseSettings(['ws.port=0', 'rtmp_push_restore=yes', 'ok_unknown=1', 'media_port_to=abc'].join('\n'), SRC),
    );
    expect(err.problems).toEqual([
      'flashphoner.properties:1: ws.port = "0": expected a port number from 1 to 65535',
      'flashphoner.properties:2: rtmp_push_restore = "yes": expected true or false',
      'flashphoner.properties:4: media_port_to = "abc": expected a port number from 1 to 65535',
    ]);
    expect(err.message).toBe(err.problems.join('\n'));
  });

  test('rules between settings name the line of the setting to fix', () => {
    const err = settingsError(() =>
      parseSettings(['media_port_from=33000', 'http.port=8080', 'rtmp_push_auto_start=true'].join('\n'), SRC),
    );
    expect(err.problems).toEqual([
      'flashphoner.properties:1: media_port_from = "33000": must not be greater than media_port_to (32000)',
      'flashphoner.properties:2: http.port = "8080": is the same port as ws.port (8080)',
      'flashphoner.properties:3: rtmp_push_auto_start = "true": is true but rtmp_push_auto_start_url is not set (expected an rtmp:// or rtmps:// URL)',
    ]);
  });

  test('a rule broken by a default says so', () => {
    const err = settingsError(() => parseSettings('media_port_to=20000', SRC));
    expect(err.problems).toEqual([
      'flashphoner.properties: media_port_from = "31001" (default): must not be greater than media_port_to (20000)',
    ]);
  });

  test('unknown keys are listed once each, in file order, and change nothing', () => {
    const loaded = parseSettings('codecs=opus,h264\nws.port=8080\nrtmp.port=1935\ncodecs=vp8\n', SRC);
    expect(loaded.ignoredKeys).toEqual(['codecs', 'rtmp.port']);
    expect(loaded.settings).toEqual(defaultSettings());
    expect(loaded.warnings).toEqual(['flashphoner.properties:4: codecs is set again (first at line 1)']);
  });

  test('a key set twice warns with both lines and the later value wins', () => {
    const loaded = parseSettings('rtmp_push_restore_attempts=1\n# x\nrtmp_push_restore_attempts=7\n', SRC);
    expect(loaded.settings.rtmpPushRestoreAttempts).toBe(7);
    expect(loaded.warnings).toEqual([
      'flashphoner.properties:3: rtmp_push_restore_attempts is set again (first at line 1); the value from line 3 is used',
    ]);
  });

  test('rtmp_push_restore_interval is read as rtmp_push_restore_interval_ms', () => {
    expect(parseSettings('rtmp_push_restore_interval=1500', SRC).settings.rtmpPushRestoreIntervalMs).toBe(1500);
    const both = parseSettings('rtmp_push_restore_interval_ms=1000\nrtmp_push_restore_interval=2500', SRC);
    expect(both.settings.rtmpPushRestoreIntervalMs).toBe(2500);
    expect(both.warnings).toEqual([
      'flashphoner.properties:2: rtmp_push_restore_interval (same setting as rtmp_push_restore_interval_ms) is set again (first at line 1); the value from line 2 is used',
    ]);
  });

  test('a malformed \\u escape is a SettingsError naming the line', () => {
    const err = settingsError(() => parseSettings('a=1\nws.port=\\u80', SRC));
    expect(err.problems).toEqual(['flashphoner.properties:2: malformed \\uXXXX escape "\\u80"']);
  });

  test('secrets never appear in errors', () => {
    const err = settingsError(() =>
      parseSettings(
        [
          'rest_auth_password=hunter2',
          'ice_turn_password=s3cr3t',
          'rtmp_push_auto_start_url=rtmpx://live.example.com/app/STREAMKEY',
        ].join('\n'),
        SRC,
      ),
    );
    expect(err.problems).toEqual([
      'flashphoner.properties:3: rtmp_push_auto_start_url = "rtmpx://live.example.com/app/***": expected an rtmp:// or rtmps:// URL with a host',
    ]);
    const cross = settingsError(() => parseSettings('rest_auth_password=hunter2\nice_turn_password=s3cr3t', SRC));
    expect(cross.problems).toEqual([
      'flashphoner.properties:1: rest_auth_password = "***": needs rest_auth_user too',
      'flashphoner.properties:2: ice_turn_password = "***": needs ice_turn_server and ice_turn_username too',
    ]);
    for (const text of [err.message, cross.message]) {
      expect(text).not.toMatch(/hunter2|s3cr3t|STREAMKEY/);
    }
  });

  test('a WCS-style file with many settings we do not use loads', () => {
    const path = join(__dirname, 'fixtures', 'wcs-flashphoner.properties');
    const loaded = parseSettings(readFileSync(path, 'utf8'), path);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.settings).toMatchObject({
      ip: '203.0.113.5',
      ipLocal: '10.0.0.5',
      mediaPortFrom: 31001,
      mediaPortTo: 32000,
      wsPort: 8080,
      wssPort: 8443,
      httpPort: 8081,
      rtmpTransponderFullUrl: true,
      rtmpTransponderStreamNamePrefix: '',
      rtmpFlashVerSubscriber: 'LNX 76.219.189.0',
      rtmpPushRestore: true,
      rtmpPushRestoreAttempts: 5,
      rtmpPushRestoreIntervalMs: 3000,
      periodicFirRequestInterval: 4000,
      rtcpPliRequestInterval: 4000,
      webrtcCcMinBitrate: 100000,
      webrtcCcMaxBitrate: 5000000,
      disableRestAuth: true,
    });
    expect(loaded.ignoredKeys).toEqual(
      expect.arrayContaining(['codecs', 'wss.keystore.password', 'rtmp.port', 'rtmp.server_buffer_enabled', 'https.port', 'keep_alive.peer_interval']),
    );
    expect(loaded.ignoredKeys).not.toContain('ws.port');
  });

  test('random bytes give settings or a SettingsError, never another exception', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 0x1_0000_0000;
    };
    const pieces = [...SPECS.map((s) => s.key), '=', ':', '\\', '\\u', '\n', ' ', '#', 'true', '-1', '8080', 'rtmp://h/a', ','];
    let refused = 0;
    for (let n = 0; n < 1000; n++) {
      let text = '';
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i++) {
        text +=
          random() < 0.5
            ? pieces[Math.floor(random() * pieces.length)]
            : Buffer.from([Math.floor(random() * 256), Math.floor(random() * 256)]).toString('latin1');
      }
      try {
        parseSettings(text, SRC);
      } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});

describe('loadSettings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtmp-transponder-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a missing file is a SettingsError naming the path', async () => {
    const path = join(dir, 'nope.properties');
    await expect(loadSettings(path)).rejects.toThrow(new SettingsError(path, [`${path}: cannot read the settings file: no such file`]));
  });

  test('a directory is a SettingsError naming the path', async () => {
    await expect(loadSettings(dir)).rejects.toThrow(`${dir}: cannot read the settings file: is a directory`);
  });

  test('the shipped flashphoner.properties gives exactly the defaults', async () => {
    const loaded = await loadSettings(join(REPO, 'flashphoner.properties'));
    expect(loaded.settings).toEqual(defaultSettings());
    expect(loaded.ignoredKeys).toEqual([]);
    expect(loaded.warnings).toEqual([]);
  });

  test('the shipped file is what the settings table generates', () => {
    const committed = readFileSync(join(REPO, 'flashphoner.properties'), 'utf8');
    // If this fails after changing the table: npx tsx tools/gen-properties.ts
    expect(committed).toBe(renderDefaultProperties());
  });

  test('the shipped file shows every setting, set or as a commented-out example', () => {
    const committed = readFileSync(join(REPO, 'flashphoner.properties'), 'utf8');
    for (const spec of SPECS) {
      const escapedKey = spec.key.replace(/\./g, '\\.');
      const pattern = isShownAsExample(spec) ? `^#${escapedKey}=` : `^${escapedKey}=`;
      expect({ key: spec.key, present: new RegExp(pattern, 'm').test(committed) }).toEqual({ key: spec.key, present: true });
    }
  });

  test('every commented-out example, once uncommented, is accepted', () => {
    const committed = readFileSync(join(REPO, 'flashphoner.properties'), 'utf8');
    const examples = committed
      .split('\n')
      .filter((l) => /^#[a-z_.]+=/.test(l))
      .map((l) => l.slice(1));
    expect(examples.length).toBe(SPECS.filter(isShownAsExample).length);
    for (const line of examples) {
      const key = line.slice(0, line.indexOf('='));
      const spec = SPECS.find((s) => s.key === key)!;
      const parsed = spec.kind.schema.safeParse(line.slice(key.length + 1));
      // A file path checked when read: the example names a file of the admin's machine, not ours.
      const ok = parsed.success || (key === 'rtmp_push_ca_file' && /no such file$/.test(parsed.error.issues[0]?.message ?? ''));
      expect({ line, ok }).toEqual({ line, ok: true });
    }
  });
});

describe('describeSettings', () => {
  test('lists every setting by key, unset ones as (unset)', () => {
    const d = describeSettings(defaultSettings());
    expect(Object.keys(d)).toEqual(SPECS.map((s) => s.key));
    expect(d['ws.port']).toBe(8080);
    expect(d['rtmp_push_restore']).toBe(false);
    expect(d['rtmp_transponder_stream_name_prefix']).toBe('rtmp_');
    expect(d['rtmp_publisher_ip']).toBe('(unset)');
    expect(d['ice_stun_servers']).toBe('');
  });

  test('masks passwords, tokens and RTMP stream keys', () => {
    const { settings } = parseSettings(
      [
        'disable_rest_auth=false',
        'rest_auth_user=admin',
        'rest_auth_password=hunter2',
        'rest_auth_token=tok-123',
        'rtmp_push_auto_start=true',
        'rtmp_push_auto_start_url=rtmp://live.example.com:1935/app/STREAMKEY',
        'ice_turn_server=turn:turn.example.com',
        'ice_turn_username=u',
        'ice_turn_password=s3cr3t',
        'ice_stun_servers=stun:a,stun:b',
      ].join('\n'),
      SRC,
    );
    const d = describeSettings(settings);
    expect(d).toMatchObject({
      rest_auth_user: 'admin',
      rest_auth_password: '***',
      rest_auth_token: '***',
      rtmp_push_auto_start_url: 'rtmp://live.example.com:1935/app/***',
      ice_turn_password: '***',
      ice_stun_servers: 'stun:a,stun:b',
    });
    expect(JSON.stringify(d)).not.toMatch(/hunter2|tok-123|STREAMKEY|s3cr3t/);
  });
});
