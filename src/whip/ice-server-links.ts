/**
 * The STUN/TURN servers of the settings as RFC 9725 section 4.6 gives them to a WHIP
 * client: one `Link` header value per URL, `rel="ice-server"`, and for a TURN server its
 * `username`, `credential` and `credential-type="password"`. Pure: no I/O.
 */
import type { IceServerOption } from '../webrtc/publisher-options';

/** An RFC 9110 quoted-string: backslash and double quote escaped. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A URI fit for `<...>`: no angle brackets, spaces or control characters (such a setting is skipped, never mangled). */
function linkTarget(url: string): string | undefined {
  return /^[^<>\s\x00-\x1f\x7f]+$/.test(url) ? url : undefined;
}

export function iceServerLinks(servers: readonly IceServerOption[] | undefined): string[] {
  const links: string[] = [];
  for (const server of servers ?? []) {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    for (const url of urls) {
      const target = linkTarget(url);
      if (target === undefined) continue;
      let link = `<${target}>; rel="ice-server"`;
      if (/^turns?:/i.test(target) && server.username !== undefined && server.credential !== undefined) {
        link += `; username=${quoted(server.username)}; credential=${quoted(server.credential)}; credential-type="password"`;
      }
      links.push(link);
    }
  }
  return links;
}
