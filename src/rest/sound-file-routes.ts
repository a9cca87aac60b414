/**
 * POST /rest-api/sound/find_all [extension]: the WAV files of the media directory, the
 * names /push/sound_on takes, so the admin page offers a list instead of a text field.
 * Behind the REST credentials (registered under /rest-api). Only plain files directly in
 * the directory whose name ends in .wav; no path from a request reaches the file system.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PUSH_TAG } from './push-routes';
import { apiResponses, BODY_ERROR_CODES, type ZodFastifyInstance } from './route-schemas';

export const SOUND_FILES_PATH = '/sound/find_all';

/** The most names listed: a page shows a short list, a huge directory must not make a huge answer. */
export const MAX_SOUND_FILES = 500;

export const SoundFilesBody = z.object({});

export const SoundFileJson = z.object({
  name: z.string().describe('The name to give /push/sound_on as soundFile'),
  bytes: z.number().int().nonnegative(),
});

export const SoundFilesAnswer = z
  .array(SoundFileJson)
  .describe('The .wav files of the media directory, by name; empty when there are none or the directory is absent');
export type SoundFilesAnswer = z.infer<typeof SoundFilesAnswer>;

/** The .wav files directly in `dir`, sorted by name; [] when the directory cannot be read. */
export async function listSoundFiles(dir: string): Promise<SoundFilesAnswer> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.wav$/i.test(e.name))
    .map((e) => e.name)
    .sort()
    .slice(0, MAX_SOUND_FILES);
  const files: SoundFilesAnswer = [];
  for (const name of names) {
    // A link is listed only when it leads to a file; sound_on checks it stays inside the directory.
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (stat?.isFile()) files.push({ name, bytes: stat.size });
  }
  return files;
}

/** `mediaDir` is read on each request: media_dir is reloaded live. */
export function registerSoundFileRoutes(rest: ZodFastifyInstance, mediaDir: () => string): void {
  rest.post(
    SOUND_FILES_PATH,
    {
      schema: {
        tags: [PUSH_TAG],
        summary: 'The WAV files of the media directory, for sound_on',
        body: SoundFilesBody,
        response: apiResponses({ 200: SoundFilesAnswer }, [...BODY_ERROR_CODES]),
      },
    },
    async () => listSoundFiles(mediaDir()),
  );
}
