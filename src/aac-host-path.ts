/**
 * Where `npm install` builds the AAC encoder host (scripts/build-aac-host.sh): build/aac-host
 * in the package. Absent when the machine had no C compiler or no libavcodec-dev then.
 */
import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from './app-root';

export const AAC_HOST_BUILD_PATH = path.join(APP_ROOT, 'build', 'aac-host');

/** The host's path when it is built and executable, else undefined. */
export function builtAacHost(file: string = AAC_HOST_BUILD_PATH): string | undefined {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}
