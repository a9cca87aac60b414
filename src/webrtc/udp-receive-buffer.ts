import { UdpTransport } from 'werift';
import { assertWeriftMember } from './werift-patch';

/**
 * The receive buffer we ask for on werift's ICE UDP sockets. Linux's default (about
 * 208 KiB, net.core.rmem_default) holds about 150 full-size RTP packets: a publisher at
 * 2 Mbit/s fills it in under a second, so a busy event loop (8 publishers on 2 cores) let
 * the kernel drop packets and the browsers resend them (about 1650 NACKs per publisher).
 * 4 MiB holds about two seconds of 8 publishers. The kernel grants at most
 * net.core.rmem_max (see the README's performance part).
 */
export const UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** What the kernel granted for the first socket: asked and granted bytes. */
export interface ReceiveBufferGrant {
  askedBytes: number;
  grantedBytes: number;
  error?: string;
}

/** Told of the first socket's grant, once per process (the service logs it at info). */
type GrantListener = (grant: ReceiveBufferGrant) => void;
let firstGrant: ReceiveBufferGrant | undefined;
let reporter: GrantListener | undefined;
let reported = false;

/** The first caller's `listener` hears the first grant once: at once if a socket is open already; later callers are ignored. */
export function reportFirstReceiveBufferGrant(listener: GrantListener): void {
  if (reporter) return;
  reporter = listener;
  if (firstGrant) deliver();
}

function deliver(): void {
  if (reported || !reporter || !firstGrant) return;
  reported = true;
  reporter(firstGrant);
}

/** The datagram socket calls we use (node:dgram Socket). */
interface SizedSocket {
  setRecvBufferSize(size: number): void;
  getRecvBufferSize(): number;
}

/** Asks for `bytes` on a bound socket; what Linux reports is twice what it accounts (socket(7)). */
export function raiseReceiveBuffer(socket: SizedSocket, bytes: number): ReceiveBufferGrant {
  try {
    socket.setRecvBufferSize(bytes);
    return { askedBytes: bytes, grantedBytes: Math.floor(socket.getRecvBufferSize() / 2) };
  } catch (error) {
    return { askedBytes: bytes, grantedBytes: 0, error: String(error) };
  }
}

/**
 * werift 0.25.2 binds every ICE host candidate's socket in `UdpTransport.prototype.init`
 * and never sets its buffer sizes. This wraps init: once the socket is bound (before
 * any datagram of the peer can arrive: the peer learns the port from our answer), the
 * receive buffer is raised.
 */
type Init = (this: { socket: SizedSocket }) => Promise<void>;
const transportPrototype = UdpTransport.prototype as unknown as { init: Init };
assertWeriftMember(transportPrototype, 'UdpTransport.prototype', 'init', 'method');
const weriftInit = transportPrototype.init;
transportPrototype.init = async function init(this: { socket: SizedSocket }): Promise<void> {
  await weriftInit.call(this);
  const grant = raiseReceiveBuffer(this.socket, UDP_RECEIVE_BUFFER_BYTES);
  if (!firstGrant) {
    firstGrant = grant;
    deliver();
  }
};
