/**
 * The players of one WebSocket session: `playStream` of a name published here and
 * `stopStream`, as the WebSDK speaks them. The browser offers (recvonly), we answer with
 * `setRemoteSDP`, then tell the stream's life with `notifyStreamStatusEvent`
 * (`published: false`): PLAYING once ICE and DTLS are up, STOPPED on stopStream or when
 * the publisher ends, FAILED with WCS's info otherwise. Media is the Playback service's.
 *
 * What the publisher says with sendStreamEvent (mute, unmute, `data`) reaches each of its
 * players as `notifyStreamEvent`, from the answer on; PLAYING carries the stream's
 * `audioState`/`videoState` as WCS's StreamStatusEvent does, so a player that starts on a
 * muted stream knows it (the WebSDK's stream.getAudioState()/getVideoState()).
 */
import type { Logger } from '../log';
import { Playback, PlaybackRefused, type Viewer, type ViewerEndCause } from '../playback';
import type { StreamEvent, StreamEventState } from '../streams/stream-event-state';
import type { StreamRegistry } from '../streams/stream-registry';
import { SdpError } from '../webrtc/sdp-offer';
import { encodeNotifyStreamEvent } from './stream-messages';
import { encodeMessage, encodeSetRemoteSdp, mediaSessionIdOf, WCS_INFO } from './wcs-protocol';

export type PlayStatus = 'PLAYING' | 'STOPPED' | 'FAILED';

/** WCS's info for a play of a name nobody publishes (WebSDK constants.js STREAM_NOT_FOUND). */
export const STREAM_NOT_FOUND = 'Stream not found';

interface Player {
  mediaSessionId: string;
  name: string;
  viewer?: Viewer;
  /** stops forwarding the publisher's stream events (set once the viewer exists) */
  unfollow?: () => void;
}

export interface PlayRequest { mediaSessionId: string; name: string; sdp: string }

export type PlayParse = { ok: true; req: PlayRequest } | { ok: false; mediaSessionId?: string; name?: string; error: string };

const NAME_RE = /^[^\u0000-\u001f\u007f]{1,256}$/;

/** playStream's data[0] → request; the error names what is wrong. */
export function parsePlay(data: unknown[]): PlayParse {
  const o = data[0];
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, error: 'playStream needs an object in data[0]' };
  const r = o as Record<string, unknown>;
  const mediaSessionId = mediaSessionIdOf(data);
  const name = typeof r.name === 'string' && NAME_RE.test(r.name) ? r.name : undefined;
  if (!mediaSessionId) return { ok: false, name, error: WCS_INFO.MEDIASESSION_ID_NULL };
  if (!name) return { ok: false, mediaSessionId, error: 'Stream name is missing or invalid' };
  if (typeof r.sdp !== 'string' || r.sdp.length === 0) return { ok: false, mediaSessionId, name, error: 'SDP offer is missing in playStream' };
  return { ok: true, req: { mediaSessionId, name, sdp: r.sdp } };
}

/** How a viewer's end is told to the page, as WCS tells it. */
function endStatus(cause: ViewerEndCause): { status: PlayStatus; info: string } {
  switch (cause) {
    case 'publisher-gone': return { status: 'STOPPED', info: WCS_INFO.STOPPED_BY_PUBLISHER_STOP };
    case 'ice-timeout': return { status: 'FAILED', info: WCS_INFO.FAILED_BY_ICE_TIMEOUT };
    case 'ice-failed': return { status: 'FAILED', info: WCS_INFO.FAILED_BY_ICE_ERROR };
    case 'stopped': return { status: 'STOPPED', info: WCS_INFO.STOPPED_BY_USER };
  }
}

export interface SessionPlayersHost {
  sessionId: string;
  send(text: string): void;
  /** the release of a closed viewer, awaited by the session's drain */
  track(drain: Promise<void>): void;
}

export class SessionPlayers {
  private readonly players = new Map<string, Player>();
  private closed = false;

  constructor(
    private readonly playback: Playback,
    private readonly registry: StreamRegistry,
    private readonly host: SessionPlayersHost,
    private readonly log: Logger,
  ) {}

  get count(): number {
    return this.players.size;
  }

  /** playStream; `ready` is whether the session is established. */
  play(data: unknown[], ready: boolean): void {
    void this.start(data, ready).catch((error: unknown) => {
      this.log.error('play handling failed', { session: this.host.sessionId, error: String(error) });
    });
  }

  private async start(data: unknown[], ready: boolean): Promise<void> {
    const parsed = parsePlay(data);
    if (!parsed.ok) {
      if (parsed.mediaSessionId) this.sendStatus(parsed.mediaSessionId, parsed.name, 'FAILED', parsed.error);
      else this.host.send(encodeMessage('fail', { apiMethod: 'playStream', info: parsed.error }));
      return;
    }
    const { mediaSessionId, name, sdp } = parsed.req;
    const refuse = (info: string): void => {
      this.log.info('play refused', { session: this.host.sessionId, stream: name, info });
      this.sendStatus(mediaSessionId, name, 'FAILED', info);
    };
    if (!ready || this.closed) return refuse(WCS_INFO.SESSION_NOT_READY);
    if (this.players.has(mediaSessionId)) return refuse(WCS_INFO.MEDIASESSION_ID_ALREADY_IN_USE);
    const publisher = this.registry.get(name);
    if (!publisher || publisher.closed) return refuse(STREAM_NOT_FOUND);
    // The publish's own event state (the registry's entry for this publisher, taken now:
    // a later publish of the same name has another one).
    const events = this.registry.events(name);
    const player: Player = { mediaSessionId, name };
    this.players.set(mediaSessionId, player);
    let viewer: Viewer;
    try {
      viewer = await this.playback.play(publisher, sdp);
    } catch (error) {
      if (this.players.get(mediaSessionId) === player) this.players.delete(mediaSessionId);
      if (error instanceof PlaybackRefused) return refuse(error.message);
      if (error instanceof SdpError) return refuse(`Bad SDP: ${error.message}`);
      this.log.error('viewer setup failed', { session: this.host.sessionId, stream: name, error: String(error) });
      return refuse(WCS_INFO.FAILED_BY_ERROR);
    }
    if (this.players.get(mediaSessionId) !== player || this.closed) {
      // stopStream or the session's end while werift was answering
      this.host.track(viewer.close('stopped during setup'));
      return;
    }
    player.viewer = viewer;
    player.unfollow = this.follow(events, mediaSessionId, name);
    viewer.on('playing', () => this.sendStatus(mediaSessionId, name, 'PLAYING', undefined, events));
    viewer.on('close', (reason, cause) => {
      if (this.players.get(mediaSessionId) !== player) return;
      this.players.delete(mediaSessionId);
      player.unfollow?.();
      this.host.track(viewer.drained);
      const { status, info } = endStatus(cause);
      if (status === 'FAILED') this.log.warn('play failed', { session: this.host.sessionId, stream: name, reason });
      this.sendStatus(mediaSessionId, name, status, info);
    });
    this.log.info('play', { session: this.host.sessionId, stream: name });
    this.host.send(encodeSetRemoteSdp(mediaSessionId, viewer.answerSdp));
  }

  /** stopStream: false when the session plays no such stream (the caller answers `fail`). */
  stop(data: unknown[]): boolean {
    const id = mediaSessionIdOf(data);
    const o = data[0] as Record<string, unknown> | undefined;
    const name = typeof o?.name === 'string' ? o.name : undefined;
    const player = (id && this.players.get(id)) || [...this.players.values()].find((p) => p.name === name);
    if (!player) return false;
    this.players.delete(player.mediaSessionId);
    player.unfollow?.();
    this.sendStatus(player.mediaSessionId, player.name, 'STOPPED', WCS_INFO.STOPPED_BY_USER);
    if (player.viewer) this.host.track(player.viewer.close('stopped by the player'));
    return true;
  }

  /** The session ended: every player ends with it, without a word (the socket is going). */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const player of [...this.players.values()]) {
      this.players.delete(player.mediaSessionId);
      player.unfollow?.();
      if (player.viewer) this.host.track(player.viewer.close(`session closed: ${reason}`));
    }
  }

  /**
   * Forwards the publisher's stream events to one player as notifyStreamEvent; returns
   * the unsubscribe. A publish that ended has closed its state (no more events come).
   */
  private follow(events: StreamEventState | undefined, mediaSessionId: string, name: string): () => void {
    if (!events || events.closed) return () => undefined;
    const forward = (event: StreamEvent): void => this.host.send(encodeNotifyStreamEvent(mediaSessionId, name, event));
    events.on('event', forward);
    return () => { events.off('event', forward); };
  }

  /** `events` given: the stream's current mute state goes with the status (as on PLAYING). */
  private sendStatus(mediaSessionId: string, name: string | undefined, status: PlayStatus, info?: string, events?: StreamEventState): void {
    const states = events ? { audioState: events.audioState, videoState: events.videoState } : {};
    this.host.send(encodeMessage('notifyStreamStatusEvent', { mediaSessionId, name, published: false, status, info, ...states }));
  }
}
