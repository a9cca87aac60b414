/** Public surface of the FLV layer: tags, tag bodies, files, onMetaData. */
export * from './flv-tag';
export * from './video-tag';
export * from './audio-tag';
export * from './flv-file-writer';
export { FlvReader, readFlvFile } from './flv-file-reader';
export type { FlvFileInfo } from './flv-file-reader';
export * from './metadata';
