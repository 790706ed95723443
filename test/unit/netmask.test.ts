/** The persistence netmask's one module: IPv4 dotted <-> prefix <-> the kernel's number, IPv6 prefixes. */
import { describe, expect, it } from 'vitest';
import { IpvsValidationError } from '../../lib/errors';
import {
  dottedToPrefix, kernelMaskToPrefix, maskToPrefix, netmaskPrefix, netmaskText, prefixToDotted, prefixToMask,
} from '../../lib/validate/netmask';
import { serviceConfig, serviceKey } from '../../lib/validate/service';

/** The mask of a prefix, written out bit by bit: an independent spelling to compare with. */
function dottedByBits(prefix: number): string {
  const bits = '1'.repeat(prefix) + '0'.repeat(32 - prefix);
  return [0, 8, 16, 24].map((i) => parseInt(bits.slice(i, i + 8), 2)).join('.');
}

describe('IPv4 masks, every one', () => {
  it('prefix -> dotted -> prefix, and prefix -> number -> prefix, for 0..32', () => {
    for (let prefix = 0; prefix <= 32; prefix++) {
      const dotted = dottedByBits(prefix);
      expect(prefixToDotted(prefix)).toBe(dotted);
      expect(dottedToPrefix(dotted)).toBe(prefix);
      const mask = prefixToMask(prefix);
      expect(mask).toBe(parseInt('1'.repeat(prefix) + '0'.repeat(32 - prefix), 2));
      expect(maskToPrefix(mask)).toBe(prefix);
      expect(kernelMaskToPrefix(mask)).toBe(prefix);
      expect(netmaskPrefix(dotted, 'ipv4', 'netmask')).toBe(prefix);
      expect(netmaskPrefix(prefix, 'ipv4', 'netmask')).toBe(prefix);
    }
  });

  it('ipvsadm leaves the host mask out and writes the others dotted', () => {
    expect(netmaskText('ipv4', 32)).toBeNull();
    expect(netmaskText('ipv4', 24)).toBe('255.255.255.0');
    expect(netmaskText('ipv4', 0)).toBe('0.0.0.0');
    expect(netmaskText('ipv6', 128)).toBeNull();
    expect(netmaskText('ipv6', 64)).toBe('64');
  });

  it('refuses masks whose ones are not contiguous from the top', () => {
    for (const mask of ['255.0.255.0', '255.255.255.1', '0.255.255.255', '255.255.254.255', '128.0.0.1']) {
      expect(dottedToPrefix(mask)).toBeNull();
      expect(() => netmaskPrefix(mask, 'ipv4', 'options.persistence.netmask')).toThrow(/contiguous IPv4 mask/);
    }
    expect(maskToPrefix(0xff00ff00)).toBeNull();
    // What the kernel holds is read as its leading ones: it cannot come from this library or ipvsadm.
    expect(kernelMaskToPrefix(0xff00ff00)).toBe(8);
  });

  it('refuses text that is no dotted mask, and prefixes out of range', () => {
    for (const mask of ['255.255.255', '255.255.255.256', '255.255.255.0.0', '', ' 255.255.255.0', '24', '255.255.255.-0', 'ff.ff.ff.0', '1e2.0.0.0']) {
      expect(dottedToPrefix(mask)).toBeNull();
      const err = (() => { try { netmaskPrefix(mask, 'ipv4', 'netmask'); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(IpvsValidationError);
      expect(err).toMatchObject({ field: 'netmask', value: mask });
    }
    for (const bad of [-1, 33, 1.5, NaN, null, true, '']) expect(() => netmaskPrefix(bad, 'ipv4', 'netmask')).toThrow(IpvsValidationError);
  });
});

describe('IPv6 prefixes', () => {
  it('1..128 as numbers; 0, 129 and text refused', () => {
    expect(netmaskPrefix(1, 'ipv6', 'netmask')).toBe(1);
    expect(netmaskPrefix(128, 'ipv6', 'netmask')).toBe(128);
    for (const bad of [0, 129, '64', 'ffff:ffff::', 64.5]) {
      expect(() => netmaskPrefix(bad, 'ipv6', 'netmask')).toThrow(/an integer from 1 to 128/);
    }
  });
});

describe('through the service validator', () => {
  it('a dotted mask becomes a prefix; a bad one names options.persistence.netmask', () => {
    const v4 = serviceKey({ protocol: 'tcp', address: '192.0.2.1', port: 80 });
    expect(serviceConfig({ persistence: { netmask: '255.255.0.0' } }, v4, null).persistence).toEqual({ timeout: 360, netmask: 16 });
    expect(() => serviceConfig({ persistence: { netmask: '255.0.255.0' } }, v4, null)).toThrow(
      expect.objectContaining({ field: 'options.persistence.netmask', value: '255.0.255.0' }),
    );
    const v6 = serviceKey({ protocol: 'tcp', address: '2001:db8::1', port: 80 });
    expect(serviceConfig({ persistence: { netmask: 64 } }, v6, null).persistence).toEqual({ timeout: 360, netmask: 64 });
    expect(serviceConfig({ persistence: 60 }, v6, null).persistence).toEqual({ timeout: 60, netmask: 128 });
  });
});
