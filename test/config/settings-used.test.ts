/**
 * A supported setting is one the service reads. Each field of the settings table must
 * be used by code outside src/config/; a setting that is validated, shipped and
 * documented but read nowhere fails here. A WCS setting we accept and do not use
 * belongs out of the table: it is then listed once at start as not used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSettings, SETTINGS } from '../../src/config';

const SRC = join(__dirname, '..', '..', 'src');

function sourcesOutsideConfig(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === join(SRC, 'config') ? [] : sourcesOutsideConfig(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const code = sourcesOutsideConfig(SRC).map((f) => readFileSync(f, 'utf8')).join('\n');

test.each(SETTINGS.map((s) => [s.key, s.field]))('%s (%s) is read outside src/config', (_key, field) => {
  expect(code).toMatch(new RegExp(`\\b${field}\\b`));
});

test('the check finds nothing for a field no code reads', () => {
  expect(code).not.toMatch(/\brtmpServerBufferEnabled\b/);
});

test('rtmp.server_buffer_enabled (the buffer of WCS\'s own RTMP server ingest) is a WCS setting we list as not used', () => {
  const loaded = parseSettings('rtmp.server_buffer_enabled=true\n', 'test.properties');
  expect(loaded.ignoredKeys).toEqual(['rtmp.server_buffer_enabled']);
  expect(SETTINGS.map((s) => s.key)).not.toContain('rtmp.server_buffer_enabled');
});
