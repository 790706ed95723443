/** Keys every object inherits are not options: lookups into option tables use own keys only. */
import { describe, expect, it } from 'vitest';
import { IpvsValidationError } from '../../lib';
import { ipvsSettings } from '../../lib/cli/host';
import { serviceKey } from '../../lib/validate/service';

describe('own keys only', () => {
  it('a service key whose fwmark is inherited is no fwmark service', () => {
    const inherited = Object.create({ fwmark: 5 }) as object;
    expect(() => serviceKey(inherited)).toThrow(IpvsValidationError);
    expect(() => serviceKey(inherited)).toThrow(/service\.protocol/);
  });

  it('--set NAME=VALUE keeps every NAME as an own key, prototype names included', () => {
    const s = ipvsSettings(['constructor=1', 'toString=true', 'valueOf=3,50']) as Record<string, unknown>;
    expect(Object.keys(s)).toEqual(['constructor', 'toString', 'valueOf']);
    expect(s.constructor).toBe(1);
    expect(Object.getPrototypeOf(s)).toBeNull();
  });
});
