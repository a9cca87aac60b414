/** The build_info labels of this process: the package version and the Node.js version. */
import packageJson from '../../package.json';
import type { BuildInfo } from './metrics-service-series';

export function currentBuild(): BuildInfo {
  return { version: packageJson.version, nodeVersion: process.versions.node };
}
