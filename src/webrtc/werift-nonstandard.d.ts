// tsconfig uses node10 module resolution, which ignores package "exports"; this maps
// werift's public 'werift/nonstandard' entry to its declarations. Node resolves it at run time.
declare module 'werift/nonstandard' {
  export * from 'werift/lib/webrtc/src/nonstandard/index';
}
