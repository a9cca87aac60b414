/**
 * Which ffmpeg executable to run: the `ffmpeg_path` setting when given, otherwise the
 * static build that @ffmpeg-installer/ffmpeg ships inside its npm package (so a plain
 * `npm install` is enough; nothing is downloaded at run time).
 */
import installer from '@ffmpeg-installer/ffmpeg';

export function resolveFfmpegPath(explicit?: string): string {
  if (explicit !== undefined && explicit.trim() !== '') return explicit;
  return installer.path;
}
