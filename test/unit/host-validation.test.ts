/** Host helpers refuse bad input before touching /proc/sys. */
import { describe, expect, it } from 'vitest';
import { defaultRoute, director, drRealServer, IpvsValidationError, natRealServer, setIpvsSysctls, tunRealServer, vip } from '../../lib';
import { arpAnnounce, arpIgnore, ipvsSysctlChange, rpFilter } from '../../lib/host/settings';

async function refused(p: Promise<unknown> | (() => unknown), field: string): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(IpvsValidationError);
  expect((err as IpvsValidationError).field).toBe(field);
}

describe('host helper validation', () => {
  it.each([
    ['all', 'options.interfaces[0]'], ['default', 'options.interfaces[0]'], ['a/b', 'options.interfaces[0]'],
    ['eth0:1', 'options.interfaces[0]'], ['.', 'options.interfaces[0]'], ['..', 'options.interfaces[0]'],
    ['sixteen-bytes-xx', 'options.interfaces[0]'], ['', 'options.interfaces[0]'], [7, 'options.interfaces[0]'],
  ])('interface %j', async (name, field) => {
    await refused(drRealServer.apply({ interfaces: [name as string] }), field);
    await refused(tunRealServer.status({ interfaces: [name as string] }), field);
  });

  it('accepts VLAN-style names, which are real directories', () => {
    expect(arpIgnore('eth0.100', 1).setting).toBe('net/ipv4/conf/eth0.100/arp_ignore');
  });

  it('ranges: arp_ignore 0-3 or 8, arp_announce 0-2, rp_filter 0-2', () => {
    for (const v of [0, 1, 2, 3, 8]) expect(arpIgnore('all', v).value).toBe(String(v));
    for (const v of [-1, 4, 7, 9, 1.5, '1']) expect(() => arpIgnore('all', v)).toThrow(IpvsValidationError);
    for (const v of [-1, 3]) expect(() => arpAnnounce('all', v)).toThrow(IpvsValidationError);
    for (const v of [-1, 3]) expect(() => rpFilter('all', v)).toThrow(IpvsValidationError);
  });

  it('IPVS settings: known names, typed values, a consistent sync_threshold pair', async () => {
    expect(ipvsSysctlChange('conntrack', true, 'x')).toEqual({ setting: 'net/ipv4/vs/conntrack', value: '1' });
    expect(ipvsSysctlChange('syncThreshold', [3, 50], 'x')).toEqual({ setting: 'net/ipv4/vs/sync_threshold', value: '3 50' });
    expect(() => ipvsSysctlChange('syncThreshold', [50, 50], 'x')).toThrow(/x\[0\]/);
    expect(() => ipvsSysctlChange('secureTcp', 4, 'x')).toThrow(IpvsValidationError);
    expect(() => ipvsSysctlChange('conntrack', 1, 'x')).toThrow(/true or false/);
    await refused(setIpvsSysctls({ nosuch: 1 } as never), 'values.nosuch');
    await refused(setIpvsSysctls({}), 'values');
    await refused(director.apply({ ipv4Forwarding: 'yes' as never }), 'options.ipv4Forwarding');
    await refused(director.apply({ bogus: 1 } as never), 'options.bogus');
    await refused(director.apply({ netns: '' }), 'options.netns');
    await refused(drRealServer.apply({ interfaces: [] }), 'options.interfaces');
    await refused(drRealServer.apply({ interfaces: ['eth0'], vip: '203.0.113.300' }), 'options.vip');
    await refused(tunRealServer.apply({ interfaces: ['eth0'], vip: '2001:db8::1', tunnel: 'a/b' }), 'options.tunnel');
    await refused(drRealServer.undo({ netns: null } as never), 'record');
  });

  it('VIPs: an address, a prefix of its family, an interface', async () => {
    await refused(vip.apply({ address: '192.0.2.300' }), 'options.address');
    await refused(vip.apply({ address: 'fe80::1%eth0' }), 'options.address');
    await refused(vip.apply({ address: '192.0.2.1', prefix: 33 }), 'options.prefix');
    await refused(vip.apply({ address: '2001:db8::1', prefix: 0 }), 'options.prefix');
    await refused(vip.apply({ address: '192.0.2.1', interface: 'all' }), 'options.interface');
    await refused(vip.status({ address: '192.0.2.1', bogus: 1 } as never), 'options.bogus');
    await refused(vip.apply({ address: '2001:db8::1', dad: 'no' as never }), 'options.dad');
    await refused(vip.apply({ address: '2001:db8::1', usableAsSource: 1 as never }), 'options.usableAsSource');
  });

  it('NAT real servers: a gateway address, an optional interface', async () => {
    // A NAT real server is a host whose default route is the director: one helper, two names.
    expect(natRealServer).toBe(defaultRoute);
    await refused(natRealServer.apply({ gateway: 'director' }), 'options.gateway');
    await refused(natRealServer.apply({ gateway: '192.0.2.1', interface: 'a:b' }), 'options.interface');
    await refused(natRealServer.undo({ netns: null, family: 'ipx', added: { gateway: null, interface: null }, previous: [] } as never), 'record');
  });
});
