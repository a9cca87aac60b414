/**
 * The shipped `flashphoner.properties`, generated from the settings table so the file
 * and the code cannot drift apart (a test compares the committed file with this text;
 * `npx tsx tools/gen-properties.ts` rewrites it).
 */
import { formatPropertyLine } from './properties-parser';
import { SETTING_GROUPS, SETTINGS, type SettingGroup, type SettingSpec } from './settings-schema';

/**
 * The README's "Securing a public server" checklist, short, for whoever edits this file.
 * With the defaults (as WCS ships) anyone who reaches the ports may publish, relay to any
 * RTMP URL and use the REST API; the service warns at start when that is so.
 */
const SECURING_A_PUBLIC_SERVER = [
  '# Securing a public server (README, "Securing a public server"). The defaults suit a',
  '# local or private network; on a server others can reach, set at least:',
  '#  1. REST API: disable_rest_auth=false with rest_auth_user/rest_auth_password or',
  '#     rest_auth_token. Wrong credentials are limited per address (rest_auth_max_failures);',
  '#     put a real rate limiter (nginx limit_req) in front for more.',
  '#  2. Who may publish: rest_hook_url (your backend answers connect/publishStream, as WCS',
  '#     REST hooks; rest_hook_send_hash + rest_hook_secret_key sign the calls), or',
  '#     publish_token, which pages send as createSession({custom:{token}}).',
  '#  3. Where streams may go: rtmp_push_from_client=false, so only the REST API picks',
  '#     destinations; the destination guard (rtmp_push_allowed_networks,',
  '#     rtmp_push_denied_networks, rtmp_push_allowed_ports, rtmp_push_allowed_hosts)',
  '#     always denies link-local and cloud metadata addresses.',
  '#  4. TLS: wss_cert_file and wss_key_file for wss://, or a TLS proxy in front;',
  '#     bind_address=127.0.0.1 when only that proxy should reach the ports.',
  '#  5. WebSocket limits: ws_max_sessions_per_ip, ws_max_messages_per_second,',
  '#     max_streams_per_session, max_streams_total.',
  '#  Behind a proxy every client has the proxy\'s address: set rest_auth_max_failures=0',
  '#  and ws_max_sessions_per_ip=0, and limit per client at the proxy instead.',
];

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
  '#',
  ...SECURING_A_PUBLIC_SERVER,
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
