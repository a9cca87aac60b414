/**
 * The bytes of flashphoner.properties, read as Java reads them. From the
 * `java.util.Properties.load(InputStream)` javadoc: "The input stream is in ISO 8859-1
 * character encoding; that is each byte is one Latin1 character. Characters not in
 * Latin1, and certain special characters, are represented in keys and elements using
 * Unicode escapes" (`\uXXXX`, one UTF-16 code unit each). WCS writes its file so; ours is
 * UTF-8. Every case is written as bytes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePropertiesFile } from '../../src/config/properties-encoding';
import { loadSettings, SettingsError } from '../../src/config/load-settings';
import { parseProperties } from '../../src/config/properties-parser';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'ascii') : Buffer.from(p))));

describe('decodePropertiesFile', () => {
  test.each<[string, Buffer, string, 'utf-8' | 'iso-8859-1']>([
    ['ASCII', bytes('k=v\n'), 'k=v\n', 'utf-8'],
    ['Latin-1 é (0xE9) alone is not UTF-8: read as ISO-8859-1', bytes('rest_auth_password=caf', [0xe9], '\n'), 'rest_auth_password=café\n', 'iso-8859-1'],
    ['UTF-8 é (0xC3 0xA9) stays one é, not "Ã©"', bytes('k=caf', [0xc3, 0xa9]), 'k=café', 'utf-8'],
    ['UTF-8 with its byte order mark keeps the mark for the parser to drop', bytes([0xef, 0xbb, 0xbf], 'k=1'), '\uFEFFk=1', 'utf-8'],
    ['a truncated UTF-8 sequence makes the whole file Latin-1', bytes('a=', [0xc3, 0xa9], '\nb=', [0xc3]), 'a=Ã©\nb=Ã', 'iso-8859-1'],
  ])('%s', (_name, input, text, encoding) => {
    expect(decodePropertiesFile(input)).toEqual({ text, encoding });
  });

  test('in ISO-8859-1 each byte 0x00-0xFF is the character U+0000-U+00FF', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { text, encoding } = decodePropertiesFile(all);
    expect(encoding).toBe('iso-8859-1');
    expect([...text].map((c) => c.charCodeAt(0))).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });
});

describe('Unicode escapes as Properties.load reads them', () => {
  test.each<[string, string, Record<string, string>]>([
    ['\\u00e9 in a value', 'k=caf\\u00e9', { k: 'café' }],
    ['hex digits in either case', 'k=\\u00C9\\u00e9', { k: 'Éé' }],
    ['outside Latin-1: \\u20ac is the euro sign', 'k=\\u20ac', { k: '€' }],
    ['a character beyond the BMP as two escaped UTF-16 units', 'k=\\ud83c\\udfa5', { k: '\u{1F3A5}' }],
    ['escapes in a key, \\u003d is part of the key', 'a\\u003db\\u0020c=1', { 'a=b c': '1' }],
    ['an escape next to a raw Latin-1 byte', 'k=\\u0041\u00e9', { k: 'Aé' }],
  ])('%s', (_name, text, expected) => {
    expect(Object.fromEntries(parseProperties(text).map((e) => [e.key, e.value]))).toEqual(expected);
  });
});

describe('loadSettings reads a WCS (ISO-8859-1) file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'props-encoding-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('rest_auth_password=caf\\xe9 is "café", never "caf\\uFFFD"', async () => {
    const file = join(dir, 'flashphoner.properties');
    writeFileSync(file, bytes('disable_rest_auth=false\nrest_auth_user=admin\nrest_auth_password=caf', [0xe9], '\n'));
    const { settings } = await loadSettings(file);
    expect(settings.restAuthPassword).toBe('café');
  });

  test('an escaped password and a UTF-8 one read the same', async () => {
    const escaped = join(dir, 'escaped.properties');
    const utf8 = join(dir, 'utf8.properties');
    writeFileSync(escaped, bytes('rest_auth_user=admin\nrest_auth_password=\\u00fcber\\u20ac\n'));
    writeFileSync(utf8, Buffer.concat([bytes('rest_auth_user=admin\nrest_auth_password='), Buffer.from('über€\n', 'utf8')]));
    const [a, b] = await Promise.all([loadSettings(escaped), loadSettings(utf8)]);
    expect(a.settings.restAuthPassword).toBe('über€');
    expect(b.settings.restAuthPassword).toBe('über€');
  });

  test('a malformed escape in a Latin-1 file is refused with its line', async () => {
    const file = join(dir, 'bad.properties');
    writeFileSync(file, bytes('# caf', [0xe9], '\nrtmp_transponder_stream_name_prefix=\\u00g9\n'));
    await expect(loadSettings(file)).rejects.toThrow(SettingsError);
    await expect(loadSettings(file)).rejects.toThrow(`${file}:2: malformed \\uXXXX escape "\\u00g9"`);
  });
});
