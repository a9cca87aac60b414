export { StreamRegistry, type PublishInfo, type StreamRegistryEvents } from './stream-registry';
