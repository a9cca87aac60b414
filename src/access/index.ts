/** Who may publish and where to: the destination guard (and, beside it, hooks and tokens). */
export {
  DestinationGuard,
  BUILT_IN_DENIED_NETWORKS,
  systemLookup,
  type DestinationGuardOptions,
  type DestinationRules,
  type GuardRule,
  type HostLookup,
} from './destination-guard';
export { canonicalIpv4 } from './ipv4-spellings';
export { NetworkList, parseCidr, CidrError, type Cidr } from './network-list';
export { parseHostPattern, hostMatches, HostPatternError } from './host-patterns';
