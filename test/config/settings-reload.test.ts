/**
 * SettingsReloader: re-reads the file given at start, validates all of it, applies what
 * may change live and reports what needs a restart; an invalid file or a part refusing
 * the values changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, SettingsError } from '../../src/config/load-settings';
import { diffSettings, liveSettings, SettingsReloader } from '../../src/config/settings-reload';
import { defaultSettings, SETTINGS, type SettingSpec, type Settings } from '../../src/config/settings-schema';

const SPECS = SETTINGS as readonly SettingSpec[];

describe('the settings table says what a reload may change', () => {
  test('listeners, addresses and TLS files of the listeners need a restart', () => {
    const restart = SPECS.filter((s) => s.reload === 'restart').map((s) => s.key);
    for (const key of ['ws.port', 'wss.port', 'http.port', 'bind_address', 'wss_cert_file', 'wss_key_file', 'ip', 'ip_local', 'media_port_from', 'media_port_to']) {
      expect(restart).toContain(key);
    }
  });

  test('REST auth, restore, output buffer, auto start, limits and log level are live', () => {
    const live = SPECS.filter((s) => s.reload === 'live').map((s) => s.key);
    for (const key of [
      'disable_rest_auth', 'rest_auth_user', 'rest_auth_password', 'rest_auth_token',
      'rtmp_push_restore', 'rtmp_push_restore_attempts', 'rtmp_push_restore_interval_ms',
      'rtmp_out_buffer_enabled', 'rtmp_push_auto_start', 'rtmp_push_auto_start_url',
      'max_streams_per_session', 'max_streams_total', 'log_level',
      'periodic_fir_request_interval', 'rtmp_push_ca_file', 'rtmp_push_tls_verify',
    ]) {
      expect(live).toContain(key);
    }
  });
});

describe('diffSettings and liveSettings', () => {
  const running = defaultSettings();
  const next: Settings = {
    ...defaultSettings(),
    httpPort: 9081,
    disableRestAuth: false,
    restAuthToken: 'tok-secret-1',
    rtmpPushAutoStartUrl: ['rtmp://live.example.com/app/STREAMKEY'],
    rtmpPushRestoreAttempts: 7,
  };

  test('changes are split into live and restart, in table order, secrets and keys hidden', () => {
    const diff = diffSettings(running, next);
    expect(diff.live).toEqual([
      { key: 'rtmp_push_auto_start_url', from: '', to: 'rtmp://live.example.com/app/***' },
      { key: 'rtmp_push_restore_attempts', from: '3', to: '7' },
      { key: 'disable_rest_auth', from: 'true', to: 'false' },
      { key: 'rest_auth_token', from: '(unset)', to: '***' },
    ]);
    expect(diff.restart).toEqual([{ key: 'http.port', from: '8081', to: '9081' }]);
    expect(JSON.stringify(diff)).not.toMatch(/STREAMKEY|tok-secret/);
  });

  test('equal lists are no change', () => {
    const a = { ...defaultSettings(), iceStunServers: ['stun:a.example'] };
    const b = { ...defaultSettings(), iceStunServers: ['stun:a.example'] };
    expect(diffSettings(a, b)).toEqual({ live: [], restart: [] });
  });

  test('the settings to run with keep every restart-only value', () => {
    const run = liveSettings(running, next);
    expect(run.httpPort).toBe(8081);
    expect(run.rtmpPushRestoreAttempts).toBe(7);
    expect(run.restAuthToken).toBe('tok-secret-1');
  });
});

describe('SettingsReloader', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'settings-reload-'));
    file = join(dir, 'flashphoner.properties');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function started(text: string): Promise<{ reloader: SettingsReloader; applied: Settings[] }> {
    writeFileSync(file, text);
    const applied: Settings[] = [];
    const reloader = new SettingsReloader(file, (await loadSettings(file)).settings, (next) => {
      applied.push(next);
    });
    return { reloader, applied };
  }

  test('applies live changes, reports restart-only ones and keeps their running value', async () => {
    const { reloader, applied } = await started('http.port=8081\nrtmp_push_restore=false\n');
    writeFileSync(file, 'http.port=9999\nrtmp_push_restore=true\n');
    const outcome = await reloader.reload();
    expect(outcome).toEqual({
      file,
      applied: [{ key: 'rtmp_push_restore', from: 'false', to: 'true' }],
      restartRequired: [{ key: 'http.port', from: '8081', to: '9999' }],
      warnings: [],
    });
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ rtmpPushRestore: true, httpPort: 8081 });
    expect(reloader.settings).toMatchObject({ rtmpPushRestore: true, httpPort: 8081 });
    // Still different from the file: a second reload reports it again and changes no value
    // (the same settings are put in force again, so files they name are read again).
    expect(await reloader.reload()).toMatchObject({ applied: [], restartRequired: [{ key: 'http.port' }] });
    expect(applied).toHaveLength(2);
    expect(applied[1]).toEqual(applied[0]);
  });

  test('an invalid file changes nothing and says why, with file and line', async () => {
    const { reloader, applied } = await started('rtmp_push_restore=false\n');
    writeFileSync(file, 'rtmp_push_restore=true\n# a comment\nrtmp_push_restore_attempts=many\nmax_streams_total=0\n');
    const err = await reloader.reload().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).problems).toEqual([
      `${file}:3: rtmp_push_restore_attempts = "many": expected an integer >= -1`,
      `${file}:4: max_streams_total = "0": expected an integer >= 1`,
    ]);
    expect(applied).toHaveLength(0);
    expect(reloader.settings.rtmpPushRestore).toBe(false);
  });

  test('a rule between settings broken by the edit changes nothing', async () => {
    const { reloader, applied } = await started('disable_rest_auth=true\n');
    writeFileSync(file, 'disable_rest_auth=false\n');
    await expect(reloader.reload()).rejects.toThrow(`${file}:1: disable_rest_auth = "false": is false but no credentials are set`);
    expect(applied).toHaveLength(0);
  });

  test('a missing file changes nothing', async () => {
    const { reloader, applied } = await started('rtmp_push_restore=false\n');
    rmSync(file);
    await expect(reloader.reload()).rejects.toThrow(`${file}: cannot read the settings file: no such file`);
    expect(applied).toHaveLength(0);
  });

  test('a part refusing the values changes nothing and is reported as the reload failing', async () => {
    writeFileSync(file, 'rtmp_push_restore=false\n');
    const reloader = new SettingsReloader(file, (await loadSettings(file)).settings, () => {
      throw new Error('cannot read /etc/ca.pem');
    });
    writeFileSync(file, 'rtmp_push_restore=true\n');
    await expect(reloader.reload()).rejects.toThrow(`${file}: not applied: cannot read /etc/ca.pem`);
    expect(reloader.settings.rtmpPushRestore).toBe(false);
  });

  test('reloads run one at a time, each reading the file as it is then', async () => {
    const { reloader, applied } = await started('rtmp_push_restore_attempts=1\n');
    writeFileSync(file, 'rtmp_push_restore_attempts=2\n');
    const first = reloader.reload();
    const second = reloader.reload();
    const [a, b] = await Promise.all([first, second]);
    expect(a.applied).toEqual([{ key: 'rtmp_push_restore_attempts', from: '1', to: '2' }]);
    expect(b.applied).toEqual([]);
    expect(applied.map((s) => s.rtmpPushRestoreAttempts)).toEqual([2, 2]);
  });

  test('a key set twice is a warning of the reload, not a failure', async () => {
    const { reloader } = await started('');
    writeFileSync(file, 'rtmp_push_restore_attempts=1\nrtmp_push_restore_attempts=2\n');
    const outcome = await reloader.reload();
    expect(outcome.warnings).toEqual([`${file}:2: rtmp_push_restore_attempts is set again (first at line 1); the value from line 2 is used`]);
    expect(outcome.applied).toEqual([{ key: 'rtmp_push_restore_attempts', from: '3', to: '2' }]);
  });
});
