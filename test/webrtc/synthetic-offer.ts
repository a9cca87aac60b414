/** An offer shaped like Chromium's, with ICE and DTLS attributes werift needs; no browser behind it. */
export function syntheticOffer(): string {
  const common = [
    'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 6C:F9:A7:3F:58:E9:05:57:14:E3:36:1D:DD:B7:E2:27:B2:61:D2:F8:A7:8F:96:D8:44:9D:73:44:07:86:99:C6',
    'a=setup:actpass',
  ];
  return [
    'v=0', 'o=- 5523152858145497983 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS s',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', ...common, 'a=mid:0', 'a=sendonly', 'a=msid:s a', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=ssrc:1111 cname:x',
    'm=video 9 UDP/TLS/RTP/SAVPF 102 106', ...common, 'a=mid:1', 'a=sendonly', 'a=msid:s v', 'a=rtcp-mux',
    'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 nack', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
    'a=rtpmap:106 H264/90000', 'a=rtcp-fb:106 nack', 'a=rtcp-fb:106 nack pli', 'a=rtcp-fb:106 goog-remb',
    'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', 'a=ssrc:2222 cname:x',
  ].join('\r\n') + '\r\n';
}
