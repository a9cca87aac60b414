export { MediaWorkerPool, type MediaWorkerFigures } from './media-worker-pool';
export type { EventLoopFigures } from './loop-figures';
export type { MediaWorker } from './media-worker';
export { RemotePublisher } from './remote-publisher';
