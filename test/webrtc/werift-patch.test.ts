import { assertWeriftMember, WeriftPatchError } from '../../src/webrtc/werift-patch';

class Base {
  field = 1;
  get size(): number { return 1; }
  run(): void { /* a method */ }
}
class Derived extends Base {}

describe('werift patch guard', () => {
  it('finds methods, getters and fields along the prototype chain', () => {
    const d = new Derived();
    expect(() => assertWeriftMember(d, 'Derived', 'run', 'method')).not.toThrow();
    expect(() => assertWeriftMember(Derived.prototype, 'Derived.prototype', 'size', 'getter')).not.toThrow();
    expect(() => assertWeriftMember(d, 'Derived', 'field', 'field')).not.toThrow();
  });

  it('names the missing member, or one of another kind', () => {
    expect(() => assertWeriftMember(new Derived(), 'Derived', 'gone', 'method')).toThrow(new WeriftPatchError('werift patch: Derived.gone (method) not found; this werift is not the version our patch was written for (see package.json)'));
    expect(() => assertWeriftMember(new Derived(), 'Derived', 'size', 'method')).toThrow(/Derived\.size \(method\)/);
    expect(() => assertWeriftMember(new Derived(), 'Derived', 'run', 'getter')).toThrow(WeriftPatchError);
  });
});
