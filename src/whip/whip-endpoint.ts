/**
 * WHIP ingest (RFC 9725) without HTTP: decides a POST (content type, name, bearer token,
 * limits, rtmpUrl rules, the offer, the REST hooks' publish decision — all before any
 * peer connection), then makes the same StreamPublish as a WebSDK page's publishStream
 * and keeps the session until DELETE or the publisher's end. The routes
 * (whip-routes.ts) only translate HTTP.
 *
 * Trickle ICE and ICE restarts are not supported: the answer is sent once every
 * candidate of ours is gathered (werift, ICE lite, host candidates), and clients put
 * theirs in the offer, so PATCH gets 405 as section 4.3.1 allows.
 */
import { randomUUID } from 'node:crypto';
import { checkBearerToken } from '../access/bearer-token';
import { DEFAULT_APP_KEY } from '../access/rest-hooks/session-hooks';
import type { PublishAdmission, SessionAccess } from '../access/session-access';
import type { Logger } from '../log';
import { redactRtmpUrl } from '../rtmp/rtmp-url';
import { StreamEventState } from '../streams/stream-event-state';
import { PublishRefused, StreamPublish } from '../streams/stream-publish';
import type { StreamRegistry } from '../streams/stream-registry';
import { chooseCodecs, parseSdp, SdpError } from '../webrtc/sdp-offer';
import { iceServerLinks } from './ice-server-links';
import { WhipError } from './whip-errors';
import type { WhipOptions } from './whip-options';
import { DELETED_BY_CLIENT, WhipSession } from './whip-session';

export interface WhipParts {
  registry: StreamRegistry;
  /** who may publish: the same access control as the WebSocket path (the bearer token is checked here) */
  access: { openSession(sessionId: string, opts: { tokenChecked: true }): SessionAccess };
  /** streams being set up or published over every ingest path (WHIP included), for max_streams_total */
  totalStreams: () => number;
  log: Logger;
}

export interface WhipPublishRequest {
  /** from the path, or `?name=` */
  name: string | undefined;
  rtmpUrl: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  offerSdp: string;
  remote: string;
}

export interface WhipAnswer {
  session: WhipSession;
  answerSdp: string;
  /** RFC 9725 4.6: one `Link` value per STUN/TURN URL */
  links: string[];
}

/** Media type of a header value, without parameters, lower case. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const MAX_NAME_LENGTH = 256;

function bearerOf(authorization: string | undefined): string | undefined {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

export class WhipEndpoint {
  private readonly sessions = new Map<string, WhipSession>();
  /** POSTs past their checks and not yet a session (access decision, answer): they hold a stream slot. */
  private admitting = 0;
  private closing: Promise<void> | undefined;
  private readonly drains = new Set<Promise<void>>();

  constructor(private opts: WhipOptions, private readonly parts: WhipParts) {}

  /** Settings reloaded: tokens, rtmp_push_from_client and the limit apply to the next POST; WebRTC options to the next publisher. */
  update(opts: WhipOptions): void {
    this.opts = opts;
  }

  /** Streams being set up or published over WHIP (added to the WebSocket path's for max_streams_total). */
  get streamCount(): number {
    return this.sessions.size + this.admitting;
  }

  find(id: string): WhipSession | undefined {
    return this.sessions.get(id);
  }

  /** DELETE: ends the publish and its relays; false when no such session. */
  delete(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.track(session.close(DELETED_BY_CLIENT));
    return true;
  }

  async publish(req: WhipPublishRequest): Promise<WhipAnswer> {
    if (this.closing) throw new WhipError('STREAM_LIMIT', 'The server is stopping');
    if (mediaTypeOf(req.contentType) !== 'application/sdp') {
      throw new WhipError('UNSUPPORTED_CONTENT_TYPE', 'A WHIP offer is sent with Content-Type: application/sdp');
    }
    const name = req.name ?? '';
    if (name.length === 0) throw new WhipError('NO_STREAM_NAME', 'No stream name: POST /whip/<name>, or /whip?name=<name>');
    if (name.length > MAX_NAME_LENGTH || /[\x00-\x1f\x7f/]/.test(name)) {
      throw new WhipError('NO_STREAM_NAME', `A stream name has at most ${MAX_NAME_LENGTH} characters, no slash and no control characters`);
    }
    const bearer = checkBearerToken(req.authorization, this.opts.tokens);
    if (bearer === 'missing') throw new WhipError('UNAUTHORIZED', 'This server asks for a token: Authorization: Bearer <token> (OBS: the Bearer Token field)');
    if (bearer === 'wrong') throw new WhipError('UNAUTHORIZED', 'Wrong bearer token');
    // The offer is judged before anything is reserved or asked of a backend.
    try {
      chooseCodecs(parseSdp(req.offerSdp));
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      let parsedOk = true;
      try { parseSdp(req.offerSdp); } catch { parsedOk = false; }
      if (!parsedOk) throw new WhipError('BAD_SDP', `The offer is not SDP: ${error.message}`);
      throw new WhipError('NO_ACCEPTABLE_CODEC', `No acceptable codec: ${error.message}`);
    }
    if (!/^a=ice-ufrag:/m.test(req.offerSdp) || !/^a=fingerprint:/m.test(req.offerSdp)) {
      throw new WhipError('BAD_SDP', 'The offer has no ICE credentials (a=ice-ufrag) or no DTLS fingerprint (a=fingerprint)');
    }
    if (this.parts.totalStreams() >= this.opts.maxStreamsTotal) {
      throw new WhipError('STREAM_LIMIT', `Server limit of ${this.opts.maxStreamsTotal} streams reached`);
    }
    if (req.rtmpUrl !== undefined && !this.opts.rtmpPushFromClient) {
      throw new WhipError('FORBIDDEN', 'Relaying to rtmpUrl from the client is disabled on this server (rtmp_push_from_client=false)');
    }
    if (!this.parts.registry.isFree(name)) throw new WhipError('NAME_IN_USE', `Stream name ${name} is already in use`);

    const mediaSessionId = randomUUID();
    const log = this.parts.log.child({ whip: mediaSessionId });
    const access = this.parts.access.openSession(mediaSessionId, { tokenChecked: true });
    this.admitting++;
    let publish: StreamPublish;
    try {
      const admission = await this.decide(access, bearerOf(req.authorization), { mediaSessionId, name, rtmpUrl: req.rtmpUrl, record: false }, log);
      if (this.closing) throw new WhipError('STREAM_LIMIT', 'The server is stopping');
      if (!admission.ok) throw new WhipError('FORBIDDEN', admission.info);
      const admitted = admission.publish;
      const events = new StreamEventState((event, error) => log.error('stream event listener threw', { stream: admitted.name, event, error: String(error) }));
      try {
        publish = StreamPublish.reserve(
          { registry: this.parts.registry, webrtc: this.opts.webrtc, log },
          {
            name: admitted.name,
            rtmpUrl: admitted.rtmpUrl,
            offerSdp: req.offerSdp,
            bitrate: { bitrate: admitted.bitrate, minBitrate: admitted.minBitrate, maxBitrate: admitted.maxBitrate },
            record: admitted.record,
            sessionId: mediaSessionId,
            mediaSessionId,
          },
          events,
        );
      } catch (error) {
        events.close();
        if (error instanceof PublishRefused && error.code === 'NAME_IN_USE') throw new WhipError('NAME_IN_USE', error.message);
        if (error instanceof PublishRefused && error.code === 'BAD_RTMP_URL') throw new WhipError('BAD_RTMP_URL', `rtmpUrl: ${error.message}`);
        throw error;
      }
    } catch (error) {
      this.admitting--;
      access.close(error instanceof WhipError ? error.message : 'refused');
      throw error;
    }
    const session = new WhipSession(publish.info.streamName, publish, access, log);
    this.admitting--;
    this.sessions.set(session.id, session);
    session.on('close', () => this.sessions.delete(session.id));
    log.info('whip publish', { stream: session.name, remote: req.remote, rtmpUrl: publish.info.rtmpUrl ? redactRtmpUrl(publish.info.rtmpUrl) : undefined });
    let answerSdp: string;
    try {
      answerSdp = await publish.answer();
    } catch (error) {
      this.track(session.close(`publish not answered: ${(error as Error).message}`));
      if (!(error instanceof PublishRefused)) throw error;
      if (error.code === 'BAD_SDP') throw new WhipError('BAD_SDP', `The offer is not SDP: ${error.message}`);
      if (error.code === 'NO_CODEC') throw new WhipError('NO_ACCEPTABLE_CODEC', `No acceptable codec: ${error.message}`);
      if (error.code === 'NAME_IN_USE') throw new WhipError('NAME_IN_USE', error.message);
      if (error.code === 'CLUSTER_UNAVAILABLE') throw new WhipError('CLUSTER_UNAVAILABLE', error.message);
      if (error.code === 'ENDED') throw new WhipError('STREAM_LIMIT', 'The publish ended while it was being answered (the server is stopping?)');
      log.error('whip publisher setup failed', { stream: session.name, error: error.message });
      throw new WhipError('INTERNAL', 'The peer connection could not be set up');
    }
    return { session, answerSdp, links: iceServerLinks(this.opts.webrtc.iceServers) };
  }

  /**
   * As a WebSDK page's session: `connect` (appKey defaultApp; the bearer, if any, as
   * custom.token, where pages put theirs; the backend's restClientConfig comes back here),
   * then `publishStream` with the name and rtmpUrl.
   */
  private async decide(access: SessionAccess, bearer: string | undefined, fields: { mediaSessionId: string; name: string; rtmpUrl?: string; record: boolean }, log: Logger): Promise<PublishAdmission> {
    try {
      const connected = await access.connect({ appKey: DEFAULT_APP_KEY, ...(bearer !== undefined ? { custom: { token: bearer } } : {}) });
      if (!connected.ok) return connected;
      return await access.publish(fields);
    } catch (error) {
      log.error('whip publish access check failed', { stream: fields.name, error: String(error) });
      return { ok: false, info: 'The publish could not be decided' };
    }
  }

  /** Ends every session (the server stops) and refuses new ones; resolves once every peer connection is released. */
  close(reason = 'the server is stopping'): Promise<void> {
    this.closing ??= (async () => {
      for (const session of [...this.sessions.values()]) this.track(session.close(reason));
      await Promise.all([...this.drains]);
    })();
    return this.closing;
  }

  private track(drain: Promise<void>): void {
    const settled: Promise<void> = drain.catch(() => undefined).then(() => {
      this.drains.delete(settled);
    });
    this.drains.add(settled);
  }
}
