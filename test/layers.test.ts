/**
 * Layers point one way (DESIGN.md, Layout): the protocol folders and the ffmpeg
 * children import only the folders listed here. Read from the sources, so a new
 * upward import fails this test instead of waiting for a reviewer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const SRC = join(__dirname, '..', 'src');

/** Folder → the other src/ folders (or top-level modules) it may import. */
const ALLOWED: Record<string, string[]> = {
  util: [],
  amf0: [],
  media: ['util'],
  flv: ['amf0', 'util'],
  rtmp: ['amf0', 'flv', 'util'],
  ffmpeg: ['media', 'flv', 'util'],
  // Who may do what: judges requests and tells backends (its log lines through the Logger seam);
  // knows nothing of transponders, REST or signaling.
  access: ['rtmp', 'util', 'log'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The src/ folder (or top-level module name) each relative import of `file` reaches. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const target = relative(SRC, join(file, '..', spec));
    return target.split(sep)[0];
  });
}

describe('layers point one way', () => {
  test.each(Object.entries(ALLOWED))('src/%s imports only %j', (folder, allowed) => {
    const files = sourceFiles(join(SRC, folder));
    expect(files.length).toBeGreaterThan(0);
    const wrong = files.flatMap((file) =>
      importedFolders(file)
        .filter((to) => to !== folder && !allowed.includes(to))
        .map((to) => `${relative(SRC, file)} → ${to}`),
    );
    expect(wrong).toEqual([]);
  });

  test('the check sees imports (a file of flv/ reaches amf0/)', () => {
    expect(importedFolders(join(SRC, 'flv', 'metadata.ts'))).toContain('amf0');
  });
});
