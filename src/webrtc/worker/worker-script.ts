import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts a thread running publisher-worker-main. In the compiled build (`node
 * dist/src/main.js`) that is the .js file beside this one. From the sources (`node
 * --import tsx src/main.ts`, jest) it is the .ts file, which plain Node cannot load:
 * the thread first registers tsx's CommonJS hook (resolved from here), then requires it.
 */
export function startWorkerThread(): Worker {
  const compiled = __filename.endsWith('.js');
  if (compiled) return new Worker(path.join(__dirname, 'publisher-worker-main.js'));
  const script = path.join(__dirname, 'publisher-worker-main.ts');
  const tsx = require.resolve('tsx/cjs');
  // execArgv []: what the main thread was started with (--import tsx, jest's flags) is not for this thread.
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(script)});`, { eval: true, execArgv: [] });
}
