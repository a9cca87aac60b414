/**
 * The node flags of src/node-flags.ts reach every way the service is started: a flag that V8
 * reads when the heap is created works only on node's command line, so each start names it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from '../src/node-flags';

const ROOT = join(__dirname, '..');

/** The words of a start command from `node` up to the script (the flags node itself reads). */
function nodeFlagsOf(words: string[], script: RegExp): string[] {
  const node = words.indexOf('node');
  const at = words.findIndex((w) => script.test(w));
  expect(node).toBeGreaterThanOrEqual(0);
  expect(at).toBeGreaterThan(node);
  return words.slice(node + 1, at);
}

describe('node flags', () => {
  test('npm start and npm run start:prod pass them to node, before the script', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(nodeFlagsOf(scripts.start.split(/\s+/), /^src\/main\.ts$/)).toEqual(expect.arrayContaining([...NODE_FLAGS]));
    expect(nodeFlagsOf(scripts['start:prod'].split(/\s+/), /^dist\/src\/main\.js$/)).toEqual([...NODE_FLAGS]);
  });

  test("the Docker image's CMD passes them to node, before the script", () => {
    const cmds = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('CMD '));
    // the last CMD is the image's (a HEALTHCHECK's CMD is indented)
    const words = JSON.parse(cmds[cmds.length - 1].slice(4)) as string[];
    expect(nodeFlagsOf(words, /^dist\/src\/main\.js$/)).toEqual([...NODE_FLAGS]);
  });

  test('this node takes them (a misspelt flag stops node at start)', () => {
    const run = spawnSync(process.execPath, [...NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const bad = spawnSync(process.execPath, ['--max-semi-space-sise=32', '-e', '0'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });
});
