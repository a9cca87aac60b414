export type { VideoFrame, AudioFrame } from '../media/frames';
export { Publisher, type PublisherStats, type PublisherEvents, type PublisherState, type RtpTap } from './publisher';
export { defaultPublisherOptions, type PublisherOptions, type BitrateWish, type IceServerOption } from './publisher-options';
export { SdpError } from './sdp-offer';
