/** Who may publish and where to: the destination guard, the publish token, WCS REST hooks. */
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
export { PublishAccess, type PublishAccessOptions } from './publish-access';
export { OPEN_SESSION_ACCESS, type SessionAccess, type PublishFields, type Admission, type PublishAdmission } from './session-access';
export { EVERY_APP_KEY, type RestHookOptions } from './rest-hooks/rest-hook-client';
export { RESTRICTED_ACCESS, DEFAULT_APP_KEY } from './rest-hooks/session-hooks';
export { TOKEN_MISSING, TOKEN_WRONG } from './publish-token';
export { checkBearerToken, type BearerCheck } from './bearer-token';
export type { HookHashAlgorithm } from './rest-hooks/hook-signature';
export type { WatchedTransponder } from './rest-hooks/transponder-status-events';
