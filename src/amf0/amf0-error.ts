/**
 * Malformed, truncated or unsupported AMF0 data.
 *
 * AMF0 is used by two layers (rtmp/ commands and flv/ script data), so its error
 * belongs to neither: each user turns it into its own protocol error where it
 * decodes (RtmpProtocolError in rtmp/command-messages, FlvError in flv/metadata).
 */
export class Amf0Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Amf0Error';
  }
}
