/**
 * Whether a command can be run, checked before anything needs it, so a wrong setting
 * refuses to start with a clear reason instead of a `spawn … ENOENT` at the first push.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Why `file` cannot be executed, or undefined when it can. */
function fileProblem(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot be read (${code ?? String(err)})`;
  }
  if (stat.isDirectory()) return 'is a directory';
  if (!stat.isFile()) return 'is not a regular file';
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return 'is not executable (no execute permission)';
  }
  return undefined;
}

/**
 * Why `command` cannot be run, or undefined when it can: a path (anything with a `/`)
 * must be an executable file; a bare name must be one in a directory of `searchPath`
 * (PATH), as spawn() would find it.
 */
export function executableProblem(command: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) return fileProblem(command);
  const dirs = searchPath.split(path.delimiter).filter((d) => d !== '');
  if (dirs.some((dir) => fileProblem(path.join(dir, command)) === undefined)) return undefined;
  return 'not found on PATH';
}
