/**
 * ffmpeg_path is checked when the settings are read: a path that is missing, a
 * directory or not executable, or a command not on PATH, refuses to start with the
 * file, the line, the value and the reason.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSettings, SettingsError } from '../../src/config';
import { executableProblem } from '../../src/util/executable';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffmpeg-path-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function problemsOf(text: string): string[] {
  try {
    parseSettings(text, 'test.properties');
  } catch (err) {
    if (err instanceof SettingsError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('ffmpeg_path', () => {
  test('a missing file refuses to start, naming file, line, value and why', () => {
    const missing = path.join(dir, 'no-ffmpeg');
    expect(problemsOf(`# settings\nffmpeg_path=${missing}\n`)).toEqual([
      `test.properties:2: ffmpeg_path = "${missing}": expected an executable file (a path, or a command on PATH): no such file`,
    ]);
  });

  test('a directory, a file without execute permission, and a command not on PATH are refused with their reason', () => {
    const plain = path.join(dir, 'ffmpeg.txt');
    fs.writeFileSync(plain, 'not a program', { mode: 0o644 });
    expect(problemsOf(`ffmpeg_path=${dir}`)[0]).toMatch(/: is a directory$/);
    expect(problemsOf(`ffmpeg_path=${plain}`)[0]).toMatch(/: is not executable \(no execute permission\)$/);
    expect(problemsOf('ffmpeg_path=no-such-ffmpeg-command-here')[0]).toMatch(/: not found on PATH$/);
  });

  test('an executable file, a command on PATH, and unset are accepted', () => {
    const tool = path.join(dir, 'ffmpeg');
    fs.writeFileSync(tool, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(parseSettings(`ffmpeg_path=${tool}`, 'test.properties').settings.ffmpegPath).toBe(tool);
    expect(parseSettings('ffmpeg_path=sh', 'test.properties').settings.ffmpegPath).toBe('sh');
    expect(parseSettings('ffmpeg_path=', 'test.properties').settings.ffmpegPath).toBeUndefined();
  });
});

describe('executableProblem', () => {
  test('finds a bare command in the search path given, and nowhere else', () => {
    const tool = path.join(dir, 'mytool');
    fs.writeFileSync(tool, '#!/bin/sh\n', { mode: 0o755 });
    expect(executableProblem('mytool', dir)).toBeUndefined();
    expect(executableProblem('mytool', `/nonexistent${path.delimiter}${dir}`)).toBeUndefined();
    expect(executableProblem('mytool', '/nonexistent')).toBe('not found on PATH');
    expect(executableProblem('mytool', '')).toBe('not found on PATH');
  });
});
