/**
 * `rest_hook_url` for every application key and `rest_hook_url.<appKey>` for one: a
 * setting read from its plain key and from any `key.<suffix>`, each value checked.
 */
import { parseSettings, SettingsError } from '../../src/config';
import { EVERY_SUFFIX } from '../../src/config/value-kinds';

const SRC = 'flashphoner.properties';

function problems(text: string): readonly string[] {
  try {
    parseSettings(text, SRC);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  throw new Error('expected a SettingsError');
}

describe('rest_hook_url and rest_hook_url.<appKey>', () => {
  test('unset by default: no hooks', () => {
    const { settings } = parseSettings('', SRC);
    expect(Object.keys(settings.restHookUrls)).toEqual([]);
  });

  test('the plain key is for every application key, a suffixed one for its key, in any order', () => {
    const { settings, ignoredKeys } = parseSettings(
      ['rest_hook_url.live=http://backend:9091/LiveApp', 'rest_hook_url=http://backend:9091/EchoApp', 'rest_hook_url.defaultApp=https://auth.example.com/wcs'].join('\n'),
      SRC,
    );
    expect({ ...settings.restHookUrls }).toEqual({
      [EVERY_SUFFIX]: 'http://backend:9091/EchoApp',
      live: 'http://backend:9091/LiveApp',
      defaultApp: 'https://auth.example.com/wcs',
    });
    expect(ignoredKeys).toEqual([]);
  });

  test('a suffixed value is checked and its line named', () => {
    expect(problems('# first\nrest_hook_url.myApp=ftp://backend/x\n')).toEqual([
      'flashphoner.properties:2: rest_hook_url.myApp = "ftp://backend/x": expected an http:// or https:// URL with a host',
    ]);
  });

  test('a suffix set twice warns and the later value wins', () => {
    const loaded = parseSettings('rest_hook_url.a=http://one/x\nrest_hook_url.a=http://two/x\n', SRC);
    expect(loaded.settings.restHookUrls.a).toBe('http://two/x');
    expect(loaded.warnings).toEqual(['flashphoner.properties:2: rest_hook_url.a is set again (first at line 1); the value from line 2 is used']);
  });

  test('a suffix named like an Object member is just a name', () => {
    const { settings } = parseSettings('rest_hook_url.__proto__=http://evil/x\nrest_hook_url.constructor=http://c/x\n', SRC);
    const urls = new Map(Object.entries(settings.restHookUrls));
    expect(urls.get('__proto__')).toBe('http://evil/x');
    expect(urls.get('constructor')).toBe('http://c/x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(settings.restHookUrls)).toBeNull();
  });

  test('a key that only starts like the setting is not one of its suffixes', () => {
    expect(parseSettings('rest_hook_urls=http://x/y\n', SRC).ignoredKeys).toEqual(['rest_hook_urls']);
    expect(parseSettings('rest_hook_url.=http://x/y\n', SRC).ignoredKeys).toEqual(['rest_hook_url.']);
  });

  test('rest_hook_send_hash needs rest_hook_secret_key, and the key never shows in errors', () => {
    expect(problems('rest_hook_send_hash=true\n')).toEqual([
      'flashphoner.properties:1: rest_hook_send_hash = "true": is true but rest_hook_secret_key is not set',
    ]);
    const all = problems('rest_hook_secret_key=s3cr3t-value\nrest_hook_timeout=abc\n').join('\n');
    expect(all).not.toContain('s3cr3t-value');
  });
});
