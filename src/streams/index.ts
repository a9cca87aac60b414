export { StreamRegistry, type PublishInfo, type PublishedEntry, type StreamRegistryEvents } from './stream-registry';
export { StreamCatalog } from './stream-catalog';
export { REST_TERMINATE_REASON } from './stream-termination';
export type { StreamApi, PublishedStreamInfo } from './stream-api';
