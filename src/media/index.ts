/** Public surface of the codec helpers (H.264, AAC) and the frame types a publisher emits. */
export type { VideoFrame, AudioFrame, VpxFrame, SourceVideoFrame, VideoCodec } from './frames';
export { isVpxFrame } from './frames';
export * from './h264';
export * from './h264-sps';
export * from './h264-rtp';
export * from './h264-slice';
export * from './aac';
export * from './vpx-error';
export * from './vp8-frame-header';
export * from './vp9-frame-header';
export * from './vp8-rtp';
export * from './vp9-rtp';
export * from './ivf';
