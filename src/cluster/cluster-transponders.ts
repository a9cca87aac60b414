/**
 * The REST API's TransponderApi on a node of a cluster: the local TransponderManager,
 * plus the other nodes. A startup for a stream published on another node runs there;
 * find and find_all merge every live node's transponders; a change by mediaSessionId
 * reaches the node the transponder runs on (the directory's index). Answers and errors
 * are the owning node's own, so the routes and their WCS codes do not change.
 */
import type { Logger } from '../log';
import {
  TransponderError,
  type StartupRequest,
  type TransponderApi,
  type TransponderFilter,
  type TransponderInfo,
} from '../transponder/transponder-api';
import type { InternalOp, NodeClient } from './internal-calls';
import type { NodeInfo } from './node-info';

/** What the wrapper reads of the directory (ClusterNode; a fake in tests). */
export interface ClusterDirectory {
  readonly id: string;
  liveNodes(): Promise<NodeInfo[]>;
  node(id: string): Promise<NodeInfo | undefined>;
  ownerOfStream(name: string): Promise<string | undefined>;
  ownerOfTransponder(mediaSessionId: string): Promise<string | undefined>;
}

export interface ClusterTranspondersParts {
  local: TransponderApi;
  directory: ClusterDirectory;
  client: NodeClient;
  /** True when the stream is published on this node. */
  publishedHere: (streamName: string) => boolean;
  log: Logger;
}

export class ClusterTransponders implements TransponderApi {
  constructor(private readonly parts: ClusterTranspondersParts) {}

  async startup(req: StartupRequest): Promise<TransponderInfo> {
    const { local, client } = this.parts;
    if (this.parts.publishedHere(req.streamName)) return local.startup(req);
    const owner = await this.remote(() => this.parts.directory.ownerOfStream(req.streamName));
    // Unknown or this node: the local manager answers (STREAM_NOT_FOUND when it is nowhere).
    if (owner === undefined) return local.startup(req);
    return client.call<TransponderInfo>(owner.url, 'startup', req);
  }

  find(filter: TransponderFilter): Promise<TransponderInfo[]> {
    return this.merged(() => this.parts.local.find(filter), 'find', filter);
  }

  findAll(): Promise<TransponderInfo[]> {
    return this.merged(() => this.parts.local.findAll(), 'find_all', {});
  }

  terminate(mediaSessionId: string): Promise<void> {
    return this.onOwner(mediaSessionId, () => this.parts.local.terminate(mediaSessionId), 'terminate', { mediaSessionId });
  }

  mute(mediaSessionId: string): Promise<void> {
    return this.onOwner(mediaSessionId, () => this.parts.local.mute(mediaSessionId), 'mute', { mediaSessionId });
  }

  unmute(mediaSessionId: string): Promise<void> {
    return this.onOwner(mediaSessionId, () => this.parts.local.unmute(mediaSessionId), 'unmute', { mediaSessionId });
  }

  soundOn(mediaSessionId: string, soundFile: string, loop: boolean): Promise<void> {
    return this.onOwner(mediaSessionId, () => this.parts.local.soundOn(mediaSessionId, soundFile, loop), 'sound_on', { mediaSessionId, soundFile, loop });
  }

  soundOff(mediaSessionId: string): Promise<void> {
    return this.onOwner(mediaSessionId, () => this.parts.local.soundOff(mediaSessionId), 'sound_off', { mediaSessionId });
  }

  /**
   * The live node behind an owner id the directory gave, unless it is this node or gone.
   * A directory that does not answer counts as "nobody else": the node answers alone.
   */
  private async remote(ownerOf: () => Promise<string | undefined>): Promise<NodeInfo | undefined> {
    const { directory, log } = this.parts;
    try {
      const owner = await ownerOf();
      if (owner === undefined || owner === directory.id) return undefined;
      return await directory.node(owner);
    } catch (error) {
      log.warn('cluster directory did not answer: this node answers alone', { error: String(error) });
      return undefined;
    }
  }

  /** Runs locally; a transponder not found here runs on the node the index names. */
  private async onOwner(mediaSessionId: string, here: () => unknown, op: InternalOp, body: unknown): Promise<void> {
    try {
      await here();
      return;
    } catch (error) {
      if (!(error instanceof TransponderError) || error.code !== 'TRANSPONDER_NOT_FOUND') throw error;
      const owner = await this.remote(() => this.parts.directory.ownerOfTransponder(mediaSessionId));
      if (owner === undefined) throw error;
      await this.parts.client.call<unknown>(owner.url, op, body);
    }
  }

  /** This node's answer and every other live node's, oldest first; a node that does not answer is left out (logged). */
  private async merged(here: () => TransponderInfo[] | Promise<TransponderInfo[]>, op: InternalOp, body: unknown): Promise<TransponderInfo[]> {
    const { directory, client, log } = this.parts;
    const own = await here();
    let others: NodeInfo[];
    try {
      others = (await directory.liveNodes()).filter((n) => n.id !== directory.id);
    } catch (error) {
      log.warn('cluster directory did not answer: listing this node only', { error: String(error) });
      return own;
    }
    const answers = await Promise.allSettled(others.map((n) => client.call<TransponderInfo[]>(n.url, op, body)));
    const all = [...own];
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled') all.push(...(answer.value ?? []));
      // A 404 is an empty list there (find answers 404 with none); anything else is a node we could not ask.
      else if (!(answer.reason instanceof TransponderError && answer.reason.code === 'TRANSPONDER_NOT_FOUND')) {
        log.warn('cluster node left out of the list: it did not answer', { node: others[i]!.id, error: String(answer.reason) });
      }
    });
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }
}
