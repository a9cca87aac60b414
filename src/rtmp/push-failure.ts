/**
 * What a push attempt tells callers when it fails: the failure class, never the probe
 * result behind it. "connection refused" against "server answered RTMP version 72"
 * against silence would make the relay a port scanner for whoever may name a
 * destination; the detail (the socket error, the bytes seen) goes to the log only.
 */
export const PushFailure = {
  cannotConnect: 'cannot connect to the RTMP server',
  notRtmp: 'not an RTMP server (the RTMP handshake failed)',
  timedOut: 'timed out waiting for the RTMP server',
  hostNotFound: 'the RTMP host cannot be resolved',
  tlsUntrusted: "the RTMP server's TLS certificate is not trusted",
  localAddress: 'cannot bind the local address (rtmp_publisher_ip)',
  connectionLost: 'the connection to the RTMP server was lost',
  serverClosed: 'the RTMP server closed the connection',
  protocolError: 'protocol error from the RTMP server',
} as const;

/** An error with a text for callers (`message`) and one for the log (`detail`). */
export interface DetailedError {
  message: string;
  detail?: string;
}

/** The detail of an error for the log: its `detail` when it has one, else its message. */
export function detailOf(err: unknown): string {
  if (err instanceof Error) {
    const d = (err as Error & { detail?: unknown }).detail;
    return typeof d === 'string' ? d : err.message;
  }
  return String(err);
}
