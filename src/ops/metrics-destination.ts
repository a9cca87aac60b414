/**
 * The labels that name a push's destination in metrics: its host and its application,
 * nothing else. A destination URL carries the stream key (a path element after the
 * application, or a query) and sometimes a user and password; none of them may become a
 * label value, which every scraper, dashboard and long-term store would then keep.
 */
import { parseRtmpUrl } from '../rtmp/rtmp-url';

export interface DestinationLabels {
  /** The host as written (lower case), without the port, user or password. */
  dest_host: string;
  /** The first path element (the application), without anything after it or any query. */
  dest_app: string;
}

/** What a URL that cannot be read gives (a transponder always has a valid one). */
const UNREADABLE: DestinationLabels = { dest_host: '', dest_app: '' };

export function destinationLabels(rtmpUrl: string): DestinationLabels {
  try {
    // In the default naming the whole path (and query) is connect's `app`: its first
    // element is the application; the rest may be a key (`live2/KEY`, `live/?user&pass`).
    const target = parseRtmpUrl(rtmpUrl, { fullUrl: false, streamName: 'x' });
    return { dest_host: target.host, dest_app: target.app.split(/[/?]/, 1)[0] };
  } catch {
    return UNREADABLE;
  }
}
