export { SignalingServer, type SignalingOptions } from './signaling-server';
export { checkRtmpUrl, maskRtmpUrl } from './rtmp-url';
export { WCS_INFO } from './wcs-protocol';
