/**
 * The pages' web/redaction.js is src/rtmp/redact-rtmp-url.ts with its types stripped:
 * the committed file equals what tools/gen-web-redaction.ts makes of the source now, and
 * run as a classic script it gives what the table of cases says.
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { REDACTION_SCRIPT, renderWebRedactionScript } from '../../tools/gen-web-redaction';
import { PUBLISHED_NAME_CASES, REDACTION_CASES } from './redaction-cases';

interface PageRedaction {
  redactRtmpUrl(raw: string): string;
  redactPublishedName(name: string, url: string): string;
}

test('web/redaction.js is generated from the current source (npx tsx tools/gen-web-redaction.ts)', () => {
  expect(readFileSync(REDACTION_SCRIPT, 'utf8')).toBe(renderWebRedactionScript());
});

test('as a classic script it defines RtmpRedaction, which follows the table of cases', () => {
  const context: { RtmpRedaction?: PageRedaction } = {};
  vm.runInNewContext(readFileSync(REDACTION_SCRIPT, 'utf8'), context);
  const page = context.RtmpRedaction!;
  expect(REDACTION_CASES.map((c) => page.redactRtmpUrl(c.raw))).toEqual(REDACTION_CASES.map((c) => c.shown));
  expect(PUBLISHED_NAME_CASES.map((c) => page.redactPublishedName(c.name, c.url))).toEqual(PUBLISHED_NAME_CASES.map((c) => c.shown));
});
