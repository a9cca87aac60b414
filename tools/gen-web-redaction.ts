/**
 * Writes web/redaction.js, the pages' copy of src/rtmp/redact-rtmp-url.ts.
 *   npx tsx tools/gen-web-redaction.ts           rewrite web/redaction.js
 *   npx tsx tools/gen-web-redaction.ts --check   exit 1 if it differs from the source
 *
 * Why a generated, committed file: the pages are plain browser scripts, and the rule for
 * showing an RTMP URL must have ONE source. The TypeScript module is that source; this
 * tool strips its types (TypeScript's transpileModule: no bundler, no child process) and
 * wraps it as a classic script that sets `window.RtmpRedaction`. A test compares the
 * committed file with this output (test/rtmp/redaction-web-file.test.ts), as one does for
 * flashphoner.properties, and the Chromium test runs the shared table of cases in the
 * page. Transpiling at service start instead would make the service depend at run time
 * on a compiler (esbuild through tsx, whose sync API keeps a worker and a child process
 * alive) for a 3 KB file that changes once in a while.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..');
export const REDACTION_SOURCE = join(ROOT, 'src', 'rtmp', 'redact-rtmp-url.ts');
export const REDACTION_SCRIPT = join(ROOT, 'web', 'redaction.js');

/** The text of web/redaction.js for the current source. */
export function renderWebRedactionScript(): string {
  const source = readFileSync(REDACTION_SOURCE, 'utf8');
  // The page gets this one file: anything it imported would be missing there.
  if (/^\s*import\s/m.test(source)) throw new Error(`${REDACTION_SOURCE} must import nothing: the pages load it alone`);
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2019, module: ts.ModuleKind.CommonJS, removeComments: false, sourceMap: false },
    fileName: 'redact-rtmp-url.ts',
  });
  const code = outputText.replace(/^"use strict";\n/, '').trimEnd();
  const body = code.split('\n').map((line) => (line ? `  ${line}` : line)).join('\n');
  return [
    '/*',
    ' * GENERATED from src/rtmp/redact-rtmp-url.ts by tools/gen-web-redaction.ts: do not edit.',
    ' * How an RTMP destination may be shown, the same rule as the service: window.RtmpRedaction.',
    ' */',
    'var RtmpRedaction = (function () {',
    "  'use strict';",
    '  var exports = {};',
    body,
    '  return exports;',
    '})();',
    '',
  ].join('\n');
}

if (require.main === module) {
  const text = renderWebRedactionScript();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REDACTION_SCRIPT, 'utf8');
    } catch {
      // a missing file differs
    }
    if (current !== text) {
      console.error(`${REDACTION_SCRIPT} is out of date: run npx tsx tools/gen-web-redaction.ts`);
      process.exit(1);
    }
    console.log(`${REDACTION_SCRIPT} matches ${REDACTION_SOURCE}`);
  } else {
    writeFileSync(REDACTION_SCRIPT, text);
    console.log(`wrote ${REDACTION_SCRIPT}`);
  }
}
