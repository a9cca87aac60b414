/** Public surface of the codec helpers (H.264, AAC). */
export * from './h264';
export * from './h264-sps';
export * from './aac';
