export { ClusterNode, type ClusterNodeOptions } from './cluster-node';
export { ClusterTransponders, type ClusterDirectory, type ClusterTranspondersParts } from './cluster-transponders';
export { registerClusterApiRoutes, registerClusterInternalRoutes, CLUSTER_NODES_PATH } from './cluster-routes';
export { NodeClient, INTERNAL_PREFIX, SECRET_HEADER } from './internal-calls';
export { StreamClaims } from './stream-claims';
export { NodeInfoSchema, type NodeInfo, type NodeLoad } from './node-info';
