/**
 * POST /rest-api/sound/find_all: the .wav files of the media directory, behind the REST
 * credentials, read from the directory as it is now (media_dir reloads live).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RestAuthenticator } from '../../src/rest';
import { MAX_SOUND_FILES, registerSoundFileRoutes, SoundFilesAnswer } from '../../src/rest/sound-file-routes';
import { inject, makeServer, type Harness } from './fake-transponder-api';

let h: Harness | undefined;
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sound-files-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await h?.app.close();
  h = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function list(headers: Record<string, string> = {}) {
  return inject(h!.app, { method: 'POST', url: '/rest-api/sound/find_all', headers, payload: '' });
}

test('lists the .wav files directly in the directory, by name, with their size; not other files, folders or links that lead nowhere', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'beep.wav'), Buffer.alloc(44));
  fs.writeFileSync(path.join(dir, 'Alarm.WAV'), Buffer.alloc(100));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
  fs.mkdirSync(path.join(dir, 'folder.wav'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'deep.wav'), Buffer.alloc(44));
  fs.symlinkSync(path.join(dir, 'missing'), path.join(dir, 'dangling.wav'));
  h = makeServer({ auth: new RestAuthenticator({ disabled: true }), extraApiRoutes: (rest) => registerSoundFileRoutes(rest, () => dir) });
  const res = await list();
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual([{ name: 'Alarm.WAV', bytes: 100 }, { name: 'beep.wav', bytes: 44 }]);
  expect(SoundFilesAnswer.safeParse(res.json()).success).toBe(true);
});

test('an absent directory is an empty list; the directory is read as it is at each request', async () => {
  let dir = path.join(tempDir(), 'absent');
  h = makeServer({ auth: new RestAuthenticator({ disabled: true }), extraApiRoutes: (rest) => registerSoundFileRoutes(rest, () => dir) });
  expect((await list()).json()).toEqual([]);
  dir = tempDir();
  fs.writeFileSync(path.join(dir, 'a.wav'), Buffer.alloc(1));
  expect((await list()).json()).toEqual([{ name: 'a.wav', bytes: 1 }]);
});

test(`at most ${MAX_SOUND_FILES} names`, async () => {
  const dir = tempDir();
  for (let i = 0; i < MAX_SOUND_FILES + 3; i++) fs.writeFileSync(path.join(dir, `s${String(i).padStart(4, '0')}.wav`), '');
  h = makeServer({ auth: new RestAuthenticator({ disabled: true }), extraApiRoutes: (rest) => registerSoundFileRoutes(rest, () => dir) });
  const names = (await list()).json() as Array<{ name: string }>;
  expect(names).toHaveLength(MAX_SOUND_FILES);
  expect(names[0]!.name).toBe('s0000.wav');
});

test('behind the REST credentials: 401 without them, the list with them', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'beep.wav'), Buffer.alloc(44));
  h = makeServer({ auth: new RestAuthenticator({ disabled: false, token: 'tok-1' }), extraApiRoutes: (rest) => registerSoundFileRoutes(rest, () => dir) });
  const refused = await list();
  expect(refused.statusCode).toBe(401);
  expect(refused.body).not.toContain('beep');
  const res = await list({ authorization: 'Bearer tok-1' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual([{ name: 'beep.wav', bytes: 44 }]);
});
