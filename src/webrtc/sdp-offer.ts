/**
 * Pure SDP work around werift: which codecs we take from a browser's offer, the offer we
 * let werift negotiate, and the last touches on the answer we send back. No sockets here.
 *
 * Why we pick codecs ourselves: werift takes the first offered payload type whose mime
 * type matches and ignores packetization-mode and profile-level-id, while Chromium offers
 * packetization-mode 0 and 1 for every profile. We need mode 1 (FU-A, STAP-A).
 * When the offer has no such H.264, VP8 and then VP9 are taken (transcoded for RTMP).
 */

export interface MediaSection {
  kind: string;
  /** all lines of the section, the m= line first */
  lines: string[];
}

export interface ParsedSdp {
  session: string[];
  media: MediaSection[];
}

export interface H264Choice { payloadType: number; fmtp: string; profileLevelId: string }
export interface OpusChoice { payloadType: number; fmtp: string }

export interface OfferChoice {
  video?: H264Choice;
  audio?: OpusChoice;
}

/** VP8 or VP9 (profile 0 preferred): only when the offer has no usable H.264. */
export interface VpxChoice { codec: 'vp8' | 'vp9'; payloadType: number; fmtp: string }

/** The video a publisher sends: H.264 (relayed as is) or VP8/VP9 (transcoded). */
export type VideoChoice = (H264Choice & { codec: 'h264' }) | VpxChoice;

/** What a publish receives. */
export interface PublishChoice {
  video?: VideoChoice;
  audio?: OpusChoice;
}

/** The WCS status info of a publish whose video would need transcoding while it is disabled. */
export const TRANSCODING_REQUIRED_BUT_DISABLED = 'Transcoding required, but disabled';

export class SdpError extends Error {
  /**
   * @param info the WCS status info to report instead of "Bad SDP: <message>", when
   *   WCS has one for this refusal (TRANSCODING_REQUIRED_BUT_DISABLED)
   */
  constructor(
    message: string,
    readonly info?: string,
  ) {
    super(message);
    this.name = 'SdpError';
  }
}

export function parseSdp(sdp: string): ParsedSdp {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') throw new SdpError('SDP does not start with v=0');
  const session: string[] = [];
  const media: MediaSection[] = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new SdpError(`SDP line is not <type>=<value>: ${line.slice(0, 40)}`);
    if (line.startsWith('m=')) {
      const kind = line.slice(2).split(' ')[0] ?? '';
      media.push({ kind, lines: [line] });
    } else if (media.length > 0) {
      media[media.length - 1]!.lines.push(line);
    } else {
      session.push(line);
    }
  }
  return { session, media };
}

export function writeSdp(parsed: ParsedSdp): string {
  return [...parsed.session, ...parsed.media.flatMap((m) => m.lines)].join('\r\n') + '\r\n';
}

interface RtpMap { payloadType: number; encoding: string; clockRate: number; channels?: number }

function rtpMaps(section: MediaSection): RtpMap[] {
  const maps: RtpMap[] = [];
  for (const line of section.lines) {
    const m = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(line);
    if (m) maps.push({ payloadType: Number(m[1]), encoding: m[2]!.toLowerCase(), clockRate: Number(m[3]), channels: m[4] ? Number(m[4]) : undefined });
  }
  return maps;
}

function fmtpOf(section: MediaSection, pt: number): string {
  const prefix = `a=fmtp:${pt} `;
  const line = section.lines.find((l) => l.startsWith(prefix));
  return line ? line.slice(prefix.length).trim() : '';
}

export function fmtpParams(fmtp: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const [k, v] = part.split('=');
    if (k && k.trim()) params.set(k.trim().toLowerCase(), (v ?? '').trim());
  }
  return params;
}

/** H.264 packetization-mode=1, profile-level-id 42e01f first, then the other constrained baselines, then the rest in offer order. */
export function chooseH264(section: MediaSection): H264Choice | undefined {
  const candidates = rtpMaps(section)
    .filter((m) => m.encoding === 'h264' && m.clockRate === 90000)
    .map((m) => {
      const fmtp = fmtpOf(section, m.payloadType);
      const params = fmtpParams(fmtp);
      return { payloadType: m.payloadType, fmtp, mode: params.get('packetization-mode') ?? '0', profileLevelId: (params.get('profile-level-id') ?? '42e01f').toLowerCase() };
    })
    .filter((c) => c.mode === '1');
  const rank = (c: { profileLevelId: string }): number =>
    c.profileLevelId === '42e01f' ? 0 : c.profileLevelId.startsWith('42e0') ? 1 : c.profileLevelId.startsWith('42') ? 2 : 3;
  const best = [...candidates].sort((a, b) => rank(a) - rank(b))[0];
  return best && { payloadType: best.payloadType, fmtp: best.fmtp, profileLevelId: best.profileLevelId };
}

export function chooseOpus(section: MediaSection): OpusChoice | undefined {
  const m = rtpMaps(section).find((r) => r.encoding === 'opus' && r.clockRate === 48000);
  return m && { payloadType: m.payloadType, fmtp: fmtpOf(section, m.payloadType) };
}

/** VP8, else VP9 with profile-id 0 (or none), else any VP9; all at 90 kHz. */
export function chooseVpx(section: MediaSection): VpxChoice | undefined {
  const maps = rtpMaps(section).filter((m) => m.clockRate === 90000);
  const vp8 = maps.find((m) => m.encoding === 'vp8');
  if (vp8) return { codec: 'vp8', payloadType: vp8.payloadType, fmtp: fmtpOf(section, vp8.payloadType) };
  const vp9 = maps.filter((m) => m.encoding === 'vp9');
  const profile0 = vp9.find((m) => (fmtpParams(fmtpOf(section, m.payloadType)).get('profile-id') ?? '0') === '0');
  const best = profile0 ?? vp9[0];
  return best && { codec: 'vp9', payloadType: best.payloadType, fmtp: fmtpOf(section, best.payloadType) };
}

/**
 * A section with port 0 and `a=bundle-only` (RFC 8843 7.3.3; GStreamer's webrtcbin offers
 * its second track so) is not rejected: it rides the bundle's transport.
 */
function isBundleOnly(section: MediaSection): boolean {
  return section.lines[0]!.split(' ')[1] === '0' && section.lines.includes('a=bundle-only');
}

function isActive(section: MediaSection): boolean {
  const port = section.lines[0]!.split(' ')[1];
  return (port !== '0' || isBundleOnly(section)) && !section.lines.includes('a=inactive') && !section.lines.includes('a=recvonly');
}

export interface CodecRules {
  /** `transcoding_disabled`: VP8/VP9 are refused (they reach RTMP only through a transcoder) */
  transcodingDisabled?: boolean;
}

/**
 * The codecs we will receive, or an SdpError whose message the browser user can read.
 * A video section needs H.264 with packetization-mode=1 (preferred: relayed as is) or
 * VP8/VP9 (transcoded, unless transcoding is disabled), and an audio section needs
 * Opus; a publish with neither is refused.
 */
export function chooseCodecs(parsed: ParsedSdp, rules: CodecRules = {}): PublishChoice {
  const choice: PublishChoice = {};
  const active = parsed.media.filter(isActive);
  for (const section of active) {
    if (section.kind === 'video') {
      if (choice.video) throw new SdpError('More than one video track in the offer');
      const h264 = chooseH264(section);
      if (h264) {
        choice.video = { codec: 'h264', ...h264 };
        continue;
      }
      const vpx = chooseVpx(section);
      if (vpx && rules.transcodingDisabled) {
        throw new SdpError(`The offer has ${vpx.codec.toUpperCase()} but no H.264 with packetization-mode=1, and transcoding is disabled`, TRANSCODING_REQUIRED_BUT_DISABLED);
      }
      if (!vpx) throw new SdpError('The offer has no H.264 with packetization-mode=1, VP8 or VP9; only these video codecs are accepted');
      choice.video = vpx;
    } else if (section.kind === 'audio') {
      if (choice.audio) throw new SdpError('More than one audio track in the offer');
      choice.audio = chooseOpus(section);
      if (!choice.audio) throw new SdpError('The offer has no Opus/48000; only Opus audio is accepted');
    }
  }
  if (!choice.video && !choice.audio) throw new SdpError('The offer has neither H.264 video nor Opus audio');
  return choice;
}

/** Payload types to keep in a section: the chosen codec and the RTX that repairs it. */
function keptPayloadTypes(section: MediaSection, primary: number): Set<number> {
  const keep = new Set([primary]);
  for (const map of rtpMaps(section)) {
    if (map.encoding === 'rtx' && fmtpParams(fmtpOf(section, map.payloadType)).get('apt') === String(primary)) keep.add(map.payloadType);
  }
  return keep;
}

const TRANSPORT_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/**
 * The offer werift negotiates: only the chosen payload types survive, and transport-cc is
 * removed everywhere. With transport-cc, werift's feedback makes Chromium's estimate
 * collapse (~90 kbit/s measured); with goog-remb we tell the browser the rate ourselves.
 */
export function offerForWerift(parsed: ParsedSdp, choice: PublishChoice): string {
  const media = parsed.media.map((section) => {
    const chosen = section.kind === 'video' ? choice.video?.payloadType : section.kind === 'audio' ? choice.audio?.payloadType : undefined;
    if (chosen === undefined || !isActive(section)) return section;
    const keep = keptPayloadTypes(section, chosen);
    const lines: string[] = [];
    for (const line of section.lines) {
      if (line.startsWith('m=')) {
        const parts = line.split(' ');
        // werift reads port 0 as a rejected section: give a bundle-only one the bundle's dummy port.
        if (isBundleOnly(section)) parts[1] = '9';
        lines.push([...parts.slice(0, 3), ...parts.slice(3).filter((pt) => keep.has(Number(pt)))].join(' '));
        continue;
      }
      const ptLine = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]?(.*)$/.exec(line);
      if (ptLine) {
        if (ptLine[1] !== '*' && !keep.has(Number(ptLine[1]))) continue;
        if (line.startsWith('a=rtcp-fb:') && ptLine[2]!.trim() === 'transport-cc') continue;
      }
      if (line.startsWith('a=extmap:') && line.includes(TRANSPORT_CC_URI)) continue;
      lines.push(line);
    }
    return { kind: section.kind, lines };
  });
  return writeSdp({ session: parsed.session, media });
}

export interface AnswerTouches {
  /** the address media sockets are bound to (candidates with other addresses are dropped when set) */
  bindIp?: string;
  /** the address announced instead of bindIp (NAT, docker) */
  announceIp?: string;
  /** video payload type whose fmtp gets the x-google bitrate hints (a line is added when it has none, as VP8 often does) */
  videoPayloadType?: number;
  bitrateKbps?: { min: number; start: number; max: number };
}

/**
 * The answer as the browser gets it: our candidates with the announced address, and the
 * bitrate hints Chromium reads from the remote description (x-google-*-bitrate), so it
 * starts at the rate we want instead of creeping up from 300 kbit/s.
 */
export function touchAnswer(answer: string, t: AnswerTouches): string {
  const parsed = parseSdp(answer);
  const rewriteAddress = (line: string): string | undefined => {
    const m = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) (.*)$/.exec(line);
    if (!m) return line;
    if (m[3]!.toLowerCase() !== 'udp') return undefined;
    const address = m[5]!;
    if (t.bindIp && address !== t.bindIp) return undefined;
    const announced = t.announceIp && t.bindIp && address === t.bindIp ? t.announceIp : address;
    return `a=candidate:${m[1]} ${m[2]} ${m[3]} ${m[4]} ${announced} ${m[6]} ${m[7]}`;
  };
  const touchLines = (lines: string[], kind: string): string[] => {
    const out: string[] = [];
    const hints = t.bitrateKbps && `x-google-min-bitrate=${t.bitrateKbps.min};x-google-start-bitrate=${t.bitrateKbps.start};x-google-max-bitrate=${t.bitrateKbps.max}`;
    const needsFmtp = kind === 'video' && hints !== undefined && t.videoPayloadType !== undefined && !lines.some((l) => l.startsWith(`a=fmtp:${t.videoPayloadType} `));
    for (const line of lines) {
      let next: string | undefined = line;
      if (line.startsWith('a=candidate:')) next = rewriteAddress(line);
      else if (line.startsWith('c=IN IP4 ') && t.announceIp && t.bindIp) next = `c=IN IP4 ${t.announceIp}`;
      else if (kind === 'video' && hints && t.videoPayloadType !== undefined && line.startsWith(`a=fmtp:${t.videoPayloadType} `)) {
        next = `${line};${hints}`;
      }
      if (next !== undefined) out.push(next);
      if (needsFmtp && line.startsWith(`a=rtpmap:${t.videoPayloadType} `)) out.push(`a=fmtp:${t.videoPayloadType} ${hints}`);
    }
    return out;
  };
  return writeSdp({
    session: touchLines(parsed.session, ''),
    media: parsed.media.map((m) => ({ kind: m.kind, lines: touchLines(m.lines, m.kind) })),
  });
}
