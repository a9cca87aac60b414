export { StreamRegistry, type PublishInfo, type StreamRegistryEvents, type PublishedStreamStats } from './stream-registry';
export { StreamEventState, isPublisherStreamEventType, PUBLISHER_STREAM_EVENT_TYPES, type StreamEvent, type PublisherStreamEventType, type TrackState, type StreamEventSnapshot } from './stream-event-state';
