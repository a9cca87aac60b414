/**
 * sound_on files: a name inside the media directory, read once and converted to
 * 48 kHz stereo PCM. A name that leaves the directory — `../`, an absolute path,
 * a link that points out — is refused; a missing file is "No such file".
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { wavToStereo48k } from '../media/wav';
import { TransponderError } from './transponder-api';

const MAX_WAV_BYTES = 64 * 1024 * 1024;

export class SoundLibrary {
  private readonly cache = new Map<string, { mtimeMs: number; pcm: Int16Array }>();

  constructor(private readonly mediaDir: string) {}

  async load(name: string): Promise<Int16Array> {
    const file = await this.resolve(name);
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new TransponderError('SOUND_FILE_NOT_FOUND', `No such file: ${name}`, 'soundFile');
    if (stat.size > MAX_WAV_BYTES) throw new TransponderError('BAD_SOUND_FILE', `${name} is larger than 64 MiB`, 'soundFile');
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs) return cached.pcm;
    let pcm: Int16Array;
    try {
      pcm = wavToStereo48k(await fs.readFile(file));
    } catch (err) {
      throw new TransponderError('BAD_SOUND_FILE', `${name} is not a WAV file we can play: ${(err as Error).message}`, 'soundFile');
    }
    this.cache.set(file, { mtimeMs: stat.mtimeMs, pcm });
    return pcm;
  }

  /** The real path of a name inside the media directory, or a TransponderError. */
  async resolve(name: string): Promise<string> {
    if (typeof name !== 'string' || name.trim() === '') throw new TransponderError('SOUND_FILE_NOT_FOUND', 'No such file: soundFile is empty', 'soundFile');
    if (name.includes('\0') || path.isAbsolute(name) || name.split(/[\\/]/).includes('..')) {
      throw new TransponderError('SOUND_FILE_OUTSIDE_MEDIA_DIR', `soundFile must be a name inside the media directory: ${JSON.stringify(name)}`, 'soundFile');
    }
    const root = await fs.realpath(this.mediaDir).catch(() => {
      throw new TransponderError('SOUND_FILE_NOT_FOUND', `No such file: the media directory does not exist`, 'soundFile');
    });
    const candidate = path.join(root, name);
    let real: string;
    try {
      real = await fs.realpath(candidate);
    } catch {
      throw new TransponderError('SOUND_FILE_NOT_FOUND', `No such file: ${name}`, 'soundFile');
    }
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new TransponderError('SOUND_FILE_OUTSIDE_MEDIA_DIR', `soundFile leaves the media directory: ${JSON.stringify(name)}`, 'soundFile');
    }
    return real;
  }
}
