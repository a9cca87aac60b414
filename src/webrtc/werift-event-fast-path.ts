import { createRequire } from 'node:module';
import * as werift from 'werift';
import { WeriftPatchError } from './werift-patch';

/**
 * werift 0.25.2's `Event.execute` (common/src/event.ts) calls its subscribers, then starts an
 * async function for its promise subscribers, even when there are none: a promise, an async
 * frame and a `.catch` closure per call. Every received RTP packet passes about five events
 * (socket data, ICE data, SRTP onRtp, the track's onReceiveRtp, …): about 1.3 % of the
 * service's JS time at 4 publishers, plus the garbage.
 *
 * This puts a subclass in place of the exported `Event` whose `execute` does what werift's
 * does, and starts the async part only when a promise subscriber is there once the plain
 * subscribers have run (one may have added it). werift's modules read `Event` from the
 * module's exports at each `new` (through re-export getters), so events made after this
 * module loads are ours; `instanceof` werift's class still holds.
 */

interface Subscriber {
  execute: (...args: unknown[]) => unknown;
}

interface EventInternals {
  event: { stack: Subscriber[]; promiseStack: Subscriber[] };
  ended: boolean;
  onerror: (e: unknown) => void;
  execute: (...args: unknown[]) => void;
}

type EventClass = new (...args: unknown[]) => EventInternals;

const eventModule = createRequire(require.resolve('werift'))('../../common/src/event.js') as { Event: EventClass };
if (typeof eventModule.Event !== 'function' || (werift as unknown as { Event: unknown }).Event !== eventModule.Event) {
  throw new WeriftPatchError('werift patch: common/src/event.Event is not the Event werift exports; this werift is not the version our patch was written for (see package.json)');
}
/** werift's own class, kept for the tests that compare. */
export const WeriftEvent: EventClass = eventModule.Event;
{
  const probe = new WeriftEvent();
  if (typeof probe.execute !== 'function' || !Array.isArray(probe.event?.stack) || !Array.isArray(probe.event?.promiseStack)) {
    throw new WeriftPatchError('werift patch: Event.execute / event.stack / event.promiseStack not found; this werift is not the version our patch was written for (see package.json)');
  }
}

export class QuickEvent extends WeriftEvent {
  constructor(...args: unknown[]) {
    super(...args);
    // an own field like werift's, in the same place among the fields
    this.execute = (...values: unknown[]): void => {
      if (this.ended) return;
      for (const item of this.event.stack) item.execute(...values);
      if (this.event.promiseStack.length === 0) return;
      (async () => {
        for (const item of this.event.promiseStack) await item.execute(...values);
      })().catch((e: unknown) => this.onerror(e));
    };
  }
}

eventModule.Event = QuickEvent;
