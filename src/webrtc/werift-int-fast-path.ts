import { createRequire } from 'node:module';
import * as werift from 'werift';
import { assertWeriftMember, WeriftPatchError } from './werift-patch';

/**
 * werift 0.25.2's `int` (common/src/number.ts) truncates a number with
 * `Number.parseInt(n, 10)`: it prints the number to a string and parses the string back.
 * The receiver's statistics call it for every RTP packet (the arrival time in clock
 * units, `StreamStatistics.add`), about 1 % of the service's JS time at 4 publishers.
 *
 * For a number whose decimal form has no exponent (1e-6 <= |n| < 1e21, ECMA-262
 * Number::toString) parsing its digits up to the point is truncation, so `Math.trunc` gives
 * the same value; everything else (strings, 0, tiny or huge numbers, NaN, Infinity) goes to
 * werift's own. werift's modules read `int` from the module's exports at each call
 * (`(0, common_1.int)(…)` through re-export getters), so replacing the export is seen by all.
 */

type IntFn = (n: unknown) => number;

// werift's package "exports" hide the file; a require relative to its entry reaches it, the
// same module instance werift's own files use (checked below).
const weriftEntry = require.resolve('werift');
const numberModule = createRequire(weriftEntry)('../../common/src/number.js') as { int: IntFn };
assertWeriftMember(numberModule, 'common/src/number', 'int', 'field');
if ((werift as unknown as { int: IntFn }).int !== numberModule.int) {
  throw new WeriftPatchError('werift patch: common/src/number.int is not the int werift exports; this werift is not the version our patch was written for (see package.json)');
}

/** werift's own, kept for other input and for the tests that compare the two. */
export const weriftInt: IntFn = numberModule.int;

export const fastInt: IntFn = (n) => {
  if (typeof n === 'number' && ((n >= 1e-6 && n < 1e21) || (n <= -1e-6 && n > -1e21))) return Math.trunc(n);
  return weriftInt(n);
};

numberModule.int = fastInt;
