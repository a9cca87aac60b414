export { SignalingServer, type SignalingOptions } from './signaling-server';
export { WCS_INFO } from './wcs-protocol';
