/**
 * werift is pinned to one exact version (package.json). Where we change the behaviour of
 * one of its internal members, the module that does so calls this when it loads (at
 * startup): if an upgrade renamed or removed the member, the service refuses to start
 * with the member's name instead of silently running without the fix.
 */
export type MemberKind = 'method' | 'getter' | 'field';

export class WeriftPatchError extends Error {
  override readonly name = 'WeriftPatchError';
}

export function assertWeriftMember(owner: object, ownerName: string, member: string, kind: MemberKind): void {
  let found: PropertyDescriptor | undefined;
  for (let o: object | null = owner; o && !found; o = Object.getPrototypeOf(o) as object | null) {
    found = Object.getOwnPropertyDescriptor(o, member);
  }
  const ok =
    kind === 'getter' ? typeof found?.get === 'function'
      : kind === 'method' ? typeof found?.value === 'function'
        : found !== undefined;
  if (!ok) {
    throw new WeriftPatchError(`werift patch: ${ownerName}.${member} (${kind}) not found; this werift is not the version our patch was written for (see package.json)`);
  }
}
