/**
 * The package's version, read from the package root at run time rather than imported: an
 * import of package.json makes tsc copy it into dist/, where src/app-root.ts would then
 * take dist/ for the package (and serve no pages).
 */
import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from './app-root';

function readVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export const PACKAGE_VERSION = readVersion();
