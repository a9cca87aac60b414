/**
 * The shipped `flashphoner.properties`, generated from the settings table so the file
 * and the code cannot drift apart (a test compares the committed file with this text;
 * `npx tsx tools/gen-properties.ts` rewrites it).
 */
import { formatPropertyLine } from './properties-parser';
import { SETTING_GROUPS, SETTINGS, type SettingGroup, type SettingSpec } from './settings-schema';

const HEADER = [
  '# flashphoner.properties — settings of rtmp-transponder',
  '#',
  '# Java .properties syntax, as in Flashphoner Web Call Server: key=value, # or ! starts',
  '# a comment line, a trailing backslash continues a line. Every WCS setting listed here',
  '# keeps its WCS name and meaning, so a WCS file can be used as is; settings we do not',
  '# support are listed once in the log at start and otherwise ignored.',
  '# Settings marked [extension] are rtmp-transponder\'s own: WCS has no such setting.',
  '# Each setting below is set to its default; commented-out lines are unset by default',
  '# and show an example. Times are in milliseconds.',
  '#',
  '# Changed while running, the file is read again on SIGHUP (kill -HUP <pid>) or',
  '# POST /rest-api/settings/reload: settings marked [restart] (ports, addresses, TLS',
  '# files of the listeners) keep their running value until the next start; all others',
  '# apply at once to what starts after (new pushes, losses, sessions, requests).',
  '#',
  '# Generated from src/config/settings-schema.ts by tools/gen-properties.ts.',
];

/** Unset by default (or an empty list): the shipped file shows the example, commented out. */
export function isShownAsExample(spec: SettingSpec): boolean {
  const emptyList = Array.isArray(spec.default) && spec.default.length === 0;
  return spec.default === undefined || (emptyList && spec.example !== undefined);
}

function entryLines(spec: SettingSpec): string[] {
  const marker = `${spec.origin === 'extension' ? '[extension] ' : ''}${spec.reload === 'restart' ? '[restart] ' : ''}`;
  const lines = [`# ${marker}${spec.comment}`];
  if (isShownAsExample(spec)) {
    lines.push(`#${formatPropertyLine(spec.key, spec.example ?? '')}`);
  } else {
    lines.push(formatPropertyLine(spec.key, spec.kind.format(spec.default)));
  }
  return lines;
}

/** The full text of the shipped file, ending with a newline. */
export function renderDefaultProperties(): string {
  const out = [...HEADER];
  for (const group of Object.keys(SETTING_GROUPS) as SettingGroup[]) {
    const specs = SETTINGS.filter((s) => s.group === group);
    if (specs.length === 0) continue;
    out.push('', `# ─── ${SETTING_GROUPS[group]} ${'─'.repeat(Math.max(3, 72 - SETTING_GROUPS[group].length))}`);
    for (const spec of specs) out.push('', ...entryLines(spec));
  }
  return `${out.join('\n')}\n`;
}
