export { StreamRegistry, type PublishInfo, type PublishedEntry, type StreamRegistryEvents, type PublishedStreamStats } from './stream-registry';
export { StreamCatalog } from './stream-catalog';
export { StreamPublish, PublishRefused, type PublishRefusalCode, type StreamPublishRequest, type StreamPublishParts, type StreamPublishEvents } from './stream-publish';
export { REST_TERMINATE_REASON } from './stream-termination';
export type { StreamApi, PublishedStreamInfo } from './stream-api';
export { StreamEventState, isPublisherStreamEventType, PUBLISHER_STREAM_EVENT_TYPES, type StreamEvent, type PublisherStreamEventType, type TrackState, type StreamEventSnapshot } from './stream-event-state';
export type { NameClaims, NameClaimAnswer } from './name-claims';
