/** Public surface of the codec helpers (H.264, AAC) and the frame types a publisher emits. */
export type { VideoFrame, AudioFrame } from './frames';
export * from './h264';
export * from './h264-sps';
export * from './h264-rtp';
export * from './h264-slice';
export * from './aac';
