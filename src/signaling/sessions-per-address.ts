/**
 * Open signaling sessions per client address (IPv6 by /64: util/address-group.ts). One
 * entry per address that has a session open, removed with its last session, so the table
 * is never larger than the number of open sessions.
 */
export class SessionsPerAddress {
  private readonly open = new Map<string, number>();

  /** `max`: sessions one address may hold at once; a getter, so a reload applies to the next session. 0 for no limit. */
  constructor(private readonly max: () => number) {}

  /** Counts a new session of `address`; false (nothing counted) when it holds the maximum already. */
  tryOpen(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    const max = this.max();
    if (max > 0 && n >= max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  /** Forgets one session of `address` (each successful tryOpen is matched by one call). */
  closed(address: string): void {
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }

  countOf(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Addresses with at least one open session. */
  get addresses(): number {
    return this.open.size;
  }
}

/** The `fail` info a refused session gets before its socket is closed. */
export function sessionsPerAddressInfo(max: number): string {
  return `Too many sessions from this address: the limit is ${max}`;
}
