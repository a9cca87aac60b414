import type { RTCPeerConnection } from 'werift';

/**
 * Resolves when ICE gathering is complete, or after `timeoutMs` with what was gathered:
 * the WCS protocol sends one SDP with every candidate in it (no trickle).
 */
export function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { sub.unSubscribe(); resolve(); }, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') {
        clearTimeout(timer);
        sub.unSubscribe();
        resolve();
      }
    });
  });
}
