/** The build_info labels of this process: the package version and the Node.js version. */
import { PACKAGE_VERSION } from '../package-version';
import type { BuildInfo } from './metrics-service-series';

export function currentBuild(): BuildInfo {
  return { version: PACKAGE_VERSION, nodeVersion: process.versions.node };
}
