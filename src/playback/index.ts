export { Playback, PlaybackRefused, viewersPerStreamInfo, viewersTotalInfo } from './playback';
export { Viewer, type ViewerEndCause, type ViewerStats, type ViewerState } from './viewer';
export { defaultPlaybackOptions, type PlaybackOptions, type PlaybackLimits, type ViewerNetworkOptions } from './playback-options';
