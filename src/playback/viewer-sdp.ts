/**
 * Pure SDP work for a viewer: the codecs we send, picked from the browser's recvonly
 * offer to match what the publisher sends (we forward its packets as they are, so only
 * its codec will do), and the offer werift negotiates with everything else removed.
 */
import { chooseH264, chooseOpus, fmtpParams, SdpError, writeSdp, type MediaSection, type OfferChoice, type ParsedSdp } from '../webrtc/sdp-offer';

/** A section the browser wants media on: not rejected (port 0), not inactive or sendonly. */
function wantsMedia(section: MediaSection): boolean {
  const port = section.lines[0]!.split(' ')[1];
  return port !== '0' && !section.lines.includes('a=inactive') && !section.lines.includes('a=sendonly');
}

function rtpMapPayloadTypes(section: MediaSection, encoding: string, clockRate: number): number[] {
  const out: number[] = [];
  for (const line of section.lines) {
    const m = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (m && m[2]!.toLowerCase() === encoding && Number(m[3]) === clockRate) out.push(Number(m[1]));
  }
  return out;
}

function fmtpOf(section: MediaSection, pt: number): string {
  const prefix = `a=fmtp:${pt} `;
  const line = section.lines.find((l) => l.startsWith(prefix));
  return line ? line.slice(prefix.length).trim() : '';
}

/**
 * The viewer's H.264 payload type for the publisher's stream: packetization-mode=1 with
 * the publisher's profile-level-id when offered (its profile byte and constraint flags
 * at least), else the best packetization-mode=1 entry. Browsers decode any profile they
 * offer; the level is a receiver's ceiling, not a promise.
 */
function chooseViewerH264(section: MediaSection, publisherProfileLevelId: string): { payloadType: number; fmtp: string; profileLevelId: string } | undefined {
  const candidates = rtpMapPayloadTypes(section, 'h264', 90000).map((payloadType) => {
    const fmtp = fmtpOf(section, payloadType);
    const params = fmtpParams(fmtp);
    return { payloadType, fmtp, mode: params.get('packetization-mode') ?? '0', profileLevelId: (params.get('profile-level-id') ?? '42e01f').toLowerCase() };
  }).filter((c) => c.mode === '1');
  const wanted = publisherProfileLevelId.toLowerCase();
  const exact = candidates.find((c) => c.profileLevelId === wanted);
  const sameProfile = candidates.find((c) => c.profileLevelId.slice(0, 4) === wanted.slice(0, 4));
  const best = exact ?? sameProfile ?? chooseH264(section);
  return best && { payloadType: best.payloadType, fmtp: best.fmtp, profileLevelId: best.profileLevelId };
}

/**
 * What the viewer will get: for each kind the publisher sends and the viewer asks for,
 * the viewer's own payload type. Throws SdpError (a message for the page) when the
 * viewer can receive none of it.
 */
export function chooseViewerCodecs(parsed: ParsedSdp, publisher: OfferChoice): OfferChoice {
  const choice: OfferChoice = {};
  for (const section of parsed.media.filter(wantsMedia)) {
    if (section.kind === 'video' && publisher.video && !choice.video) {
      choice.video = chooseViewerH264(section, publisher.video.profileLevelId);
      if (!choice.video) throw new SdpError('The player cannot receive H.264 with packetization-mode=1, which the stream is sent in');
    } else if (section.kind === 'audio' && publisher.audio && !choice.audio) {
      choice.audio = chooseOpus(section);
      if (!choice.audio) throw new SdpError('The player cannot receive Opus, which the stream is sent in');
    }
  }
  if (!choice.video && !choice.audio) throw new SdpError('The player asks for no track the stream has');
  return choice;
}

/**
 * The offer werift answers: in each section we send on, only the chosen payload type;
 * no RTX (a NACK is answered with the packet itself), no header extensions (we forward
 * no extension, and the browser demultiplexes by the SSRCs of our answer), no
 * transport-cc. Sections we do not send on are rejected (port 0).
 */
export function viewerOfferForWerift(parsed: ParsedSdp, choice: OfferChoice): string {
  const usedKinds = new Set<string>();
  const media = parsed.media.map((section) => {
    const pick = section.kind === 'video' ? choice.video : section.kind === 'audio' ? choice.audio : undefined;
    if (!pick || !wantsMedia(section) || usedKinds.has(section.kind)) return rejected(section);
    usedKinds.add(section.kind);
    const keep = String(pick.payloadType);
    const lines: string[] = [];
    for (const line of section.lines) {
      if (line.startsWith('m=')) {
        const parts = line.split(' ');
        lines.push([...parts.slice(0, 3), keep].join(' '));
        continue;
      }
      const ptLine = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]?(.*)$/.exec(line);
      if (ptLine && ptLine[1] !== '*' && ptLine[1] !== keep) continue;
      if (line.startsWith('a=rtcp-fb:') && /transport-cc|goog-remb/.test(line)) continue;
      if (line.startsWith('a=extmap:')) continue;
      lines.push(line);
    }
    return { kind: section.kind, lines };
  });
  return writeSdp({ session: parsed.session, media });
}

function rejected(section: MediaSection): MediaSection {
  const parts = section.lines[0]!.split(' ');
  return { kind: section.kind, lines: [[parts[0], '0', ...parts.slice(2)].join(' '), ...section.lines.slice(1)] };
}
