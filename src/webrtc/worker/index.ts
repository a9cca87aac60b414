export { MediaWorkerPool } from './media-worker-pool';
export type { MediaWorker } from './media-worker';
export { RemotePublisher } from './remote-publisher';
