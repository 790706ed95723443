/** The interning layer: bounded, one frozen object per input, one canonical key per service. */
import { describe, expect, it } from 'vitest';
import { nativeServiceKey } from '../../lib/convert';
import {
  INTERN_LIMIT, internAddress, internService, internedCount, knownAddress, rememberValidated, serviceOf, validatedOf,
} from '../../lib/intern';
import { serviceId } from '../../lib/keys';
import { parseRules } from '../../lib/rules/parse';
import { address } from '../../lib/validate/primitives';
import { serviceKey } from '../../lib/validate/service';

describe('same input, same frozen object', () => {
  it('an address text', () => {
    const a = address('2001:DB8::1', 'address');
    expect(address('2001:DB8::1', 'address')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({ family: 'ipv6', address: '2001:db8::1' });
  });

  it('a service key, whichever object spells it', () => {
    const key = serviceKey({ protocol: 'tcp', address: '192.0.2.10', port: 80 });
    expect(serviceKey({ protocol: 'tcp', address: '192.0.2.10', port: 80 })).toBe(key);
    expect(serviceKey(key)).toBe(key);
    expect(Object.isFrozen(key)).toBe(true);
    expect(key).toEqual({ kind: 'address', family: 'ipv4', protocol: 'tcp', address: '192.0.2.10', port: 80 });
    const native = nativeServiceKey(key);
    expect(nativeServiceKey(key)).toBe(native);
    expect(Object.isFrozen(native)).toBe(true);
    const fwmark = serviceKey({ fwmark: 7 });
    expect(serviceKey({ fwmark: 7, family: 'ipv4' })).toBe(fwmark);
    expect(serviceKey({ fwmark: 7, family: 'ipv6' })).not.toBe(fwmark);
  });

  it('the service keys of parsed rules, across lines and across texts', () => {
    const text = '-A -t 192.0.2.11:80 -s rr\n-a -t 192.0.2.11:80 -r 198.51.100.1 -m -w 1\n';
    const [first, second] = parseRules(text);
    const [again] = parseRules(text);
    const service = (r: typeof first) => (r.operation as { service: object }).service;
    expect(service(second)).toBe(service(first));
    expect(service(again)).toBe(service(first));
    expect(Object.isFrozen(service(first))).toBe(true);
    // What parseRules shares is what the validators and the native layer recognise as interned.
    expect(serviceOf(service(first))?.key).toBe(serviceKey({ protocol: 'tcp', address: '192.0.2.11', port: 80 }));
  });
});

describe('different spellings of one address, one canonical key', () => {
  it('IPv6 in upper case, with zeros, compressed or not', () => {
    const spellings = ['2001:DB8::2', '2001:db8:0:0:0:0:0:2', '2001:0db8::0002', '2001:db8::0:2'];
    const keys = spellings.map((a) => serviceKey({ protocol: 'udp', address: a, port: 53 }));
    for (const k of keys) expect(k).toBe(keys[0]);
    expect(keys[0]).toMatchObject({ address: '2001:db8::2' });
    expect(new Set(keys.map(serviceId)).size).toBe(1);
    const rules = parseRules(spellings.map((a) => `-a -u [${a}]:53 -r 2001:db8::9:53 -m`).join('\n'));
    const parsed = rules.map((r) => (r.operation as { service: object }).service);
    for (const s of parsed) expect(s).toBe(parsed[0]);
    expect(serviceOf(parsed[0])?.key).toBe(keys[0]);
  });
});

describe('trust: only interned, frozen objects are recognised', () => {
  it('an equal object made by the caller is validated, never taken on trust', () => {
    serviceKey({ protocol: 'tcp', address: '192.0.2.12', port: 80 });
    const lookalike = Object.freeze({ kind: 'address', family: 'ipv4', protocol: 'tcp', address: '192.0.2.12', port: 80 });
    expect(serviceOf(lookalike)).toBeUndefined();
    expect(() => serviceKey(Object.freeze({ protocol: 'tcp', address: '192.0.2.12', port: 70000 }))).toThrow(/service\.port/);
  });

  it('validated operations are remembered for frozen objects only', () => {
    const ops = [1, 2];
    expect(() => rememberValidated([], ops)).toThrow(TypeError);
    const frozen = Object.freeze([]);
    expect(validatedOf(frozen)).toBeUndefined();
    rememberValidated(frozen, ops);
    expect(validatedOf(frozen)).toBe(ops);
    expect(validatedOf([])).toBeUndefined();
    // A service record is not a validated-rules fact, and the other way round.
    const key = serviceKey({ protocol: 'tcp', address: '192.0.2.13', port: 80 });
    expect(validatedOf(key)).toBeUndefined();
    expect(serviceOf(frozen)).toBeUndefined();
  });
});

describe('bounded', () => {
  it(`never holds more than INTERN_LIMIT (${INTERN_LIMIT}) texts; keys made before emptying stay recognised`, () => {
    const early = serviceKey({ protocol: 'tcp', address: '192.0.2.14', port: 80 });
    let most = 0;
    for (let i = 0; i < INTERN_LIMIT + 1000; i++) {
      const text = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      internAddress(text, { family: 'ipv4', address: text });
      most = Math.max(most, internedCount());
    }
    expect(most).toBe(INTERN_LIMIT);
    expect(internedCount()).toBeLessThan(INTERN_LIMIT);
    // Emptied: the early address text is gone from the text store...
    expect(knownAddress('192.0.2.14')).toBeUndefined();
    // ...but the key object made before still carries its record (a WeakMap fact), and a fresh
    // spelling of the same service gives an equal key again.
    expect(serviceOf(early)?.key).toBe(early);
    expect(serviceKey({ protocol: 'tcp', address: '192.0.2.14', port: 80 })).toEqual(early);
    expect(nativeServiceKey(early)).toMatchObject({ address: '192.0.2.14', port: 80 });
  });

  it('services count against the same bound', () => {
    const before = internedCount();
    internService({ kind: 'fwmark', family: 'ipv4', fwmark: 4242 });
    expect(internedCount()).toBe(before + 1);
    expect(internService({ kind: 'fwmark', family: 'ipv4', fwmark: 4242 })).toBe(internService({ kind: 'fwmark', family: 'ipv4', fwmark: 4242 }));
    expect(internedCount()).toBe(before + 1);
  });
});
