/**
 * The directory the service ships in (package.json, web/, media/, the shipped
 * flashphoner.properties): the nearest parent of this file with our package.json. Found
 * by walking up rather than by counting `..`, so it is the same under tsx (src/) as from
 * the compiled build (dist/src/, or any other outDir inside the package).
 */
import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'rtmp-transponder';

function isOurPackage(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The nearest directory at or above `from` whose package.json is ours; throws when there is none. */
export function findAppRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (isOurPackage(dir)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
  }
}

export const APP_ROOT = findAppRoot(__dirname);
