import { readFileSync } from 'node:fs';
import { UdpTransport } from 'werift';
import { raiseReceiveBuffer, reportFirstReceiveBufferGrant, UDP_RECEIVE_BUFFER_BYTES, type ReceiveBufferGrant } from '../../src/webrtc/udp-receive-buffer';

/** net.core.rmem_max: the most the kernel grants an unprivileged setsockopt(SO_RCVBUF). */
function rmemMax(): number {
  return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
}

describe('UDP receive buffer of werift\'s ICE sockets', () => {
  const transports: UdpTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('werift\'s UdpTransport.init asks for 4 MiB and reports the kernel\'s grant once', async () => {
    const grants: ReceiveBufferGrant[] = [];
    reportFirstReceiveBufferGrant((g) => grants.push(g));
    reportFirstReceiveBufferGrant(() => { throw new Error('a second reporter is ignored'); });
    for (let i = 0; i < 2; i++) transports.push(await UdpTransport.init('udp4', { interfaceAddresses: { udp4: '127.0.0.1' } }));
    const expected = Math.min(UDP_RECEIVE_BUFFER_BYTES, rmemMax());
    // Linux reports twice what it accounts (socket(7) SO_RCVBUF)
    for (const t of transports) expect(t.socket.getRecvBufferSize()).toBe(2 * expected);
    expect(grants).toEqual([{ askedBytes: UDP_RECEIVE_BUFFER_BYTES, grantedBytes: expected }]);
  });

  it('a socket that refuses is reported, not thrown', () => {
    const refusing = { setRecvBufferSize: (): void => { throw new Error('EPERM'); }, getRecvBufferSize: (): number => 0 };
    expect(raiseReceiveBuffer(refusing, 1024)).toEqual({ askedBytes: 1024, grantedBytes: 0, error: 'Error: EPERM' });
  });
});
