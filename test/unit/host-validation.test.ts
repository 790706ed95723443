/** Host helpers refuse bad input before touching /proc/sys. */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultRoute, director, drRealServer, getIpvsSysctls, IpvsValidationError, natRealServer, setIpvsSysctls, tunRealServer, undoChanges, vip,
} from '../../lib';
import { native } from '../../lib/binding';
import { ipvsSettings } from '../../lib/cli/host';
import { undoRecord } from '../../lib/host/records';
import { arpAnnounce, arpIgnore, ipvsSysctlChange, rpFilter } from '../../lib/host/settings';
import { writeSetting } from '../../lib/host/sysctl';

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
    await refused(director.apply({ noRedirects: [] }), 'options.noRedirects');
    await refused(director.apply({ noRedirects: 'eth0' as never }), 'options.noRedirects');
    await refused(director.apply({ noRedirects: ['eth0', 'all'] }), 'options.noRedirects[1]');
    await refused(director.apply({ noRedirects: ['../x'] }), 'options.noRedirects[0]');
    await refused(director.status({ noRedirects: ['default'] }), 'options.noRedirects[0]');
    await refused(drRealServer.apply({ interfaces: [] }), 'options.interfaces');
    await refused(drRealServer.apply({ interfaces: ['eth0'], vip: '203.0.113.300' }), 'options.vip');
    await refused(tunRealServer.apply({ interfaces: ['eth0'], vip: '2001:db8::1', tunnel: 'a/b' }), 'options.tunnel');
    await refused(drRealServer.undo({ netns: null } as never), 'record.settings');
  });

  // Keys every object inherits are bad names like any other, never a crash.
  it.each([
    ['constructor', { constructor: 1 }], ['toString', { toString: () => 1 }], ['valueOf', { valueOf: 1 }],
    ['hasOwnProperty', { hasOwnProperty: true }], ['__proto__', JSON.parse('{"__proto__":1}')],
  ])('IPVS setting named %s', async (name, values) => {
    await refused(setIpvsSysctls(values as never), `values.${name}`);
    await refused(director.apply({ ipvs: values as never }), `options.ipvs.${name}`);
    expect(() => ipvsSysctlChange(name, 1, 'x')).toThrow(IpvsValidationError);
  });

  it('prototype keys: director.apply({ ipvs: { toString: true } }), --set constructor=1, options of status calls', async () => {
    await refused(director.apply({ ipvs: { toString: true } as never }), 'options.ipvs.toString');
    await refused(director.apply({ ipvs: ipvsSettings(['constructor=1']) }), 'options.ipvs.constructor');
    await refused(director.apply(ipvsSettings(['toString=true']) as never), 'options.toString');
    await refused(director.apply(JSON.parse('{"__proto__":{"ipv4Forwarding":false}}')), 'options.__proto__');
    await refused(director.status({ netns: 'x', bogus: 1 } as never), 'options.bogus');
    await refused(getIpvsSysctls({ toString: 1 } as never), 'options.toString');
    await refused(setIpvsSysctls({ conntrack: true }, { constructor: 1 } as never), 'options.constructor');
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
    await refused(natRealServer.undo({ netns: null, family: 'ipx', added: { gateway: null, interface: null }, previous: [] } as never), 'record.family');
  });
});

/** A file path no test creates: the target of the traversal attempts below. */
const target = join(tmpdir(), `ipvs-undo-${process.pid}-${Date.now()}`);
const climb = `../..${target}`;

describe('undo records are input', () => {
  it('a setting that climbs out of /proc/sys writes nothing and names the field', async () => {
    await refused(director.undo({ netns: null, settings: [{ setting: climb, value: 'x' }] }), 'record.settings[0].setting');
    await refused(undoChanges({ netns: null, settings: [{ setting: 'net/ipv4/ip_forward', value: '0' }, { setting: climb, value: '1' }] }), 'record.settings[1].setting');
    await refused(drRealServer.undo({ netns: null, settings: [{ setting: `net/ipv4/conf/all/../../../..${target}`, value: '1' }] }), 'record.settings[0].setting');
    expect(existsSync(target)).toBe(false);
  });

  it('in another namespace too: the same validation error before the addon is asked', async () => {
    await refused(director.undo({ netns: '/proc/self/ns/net', settings: [{ setting: `net/../..${target}`, value: '1' }] }), 'record.settings[0].setting');
    expect(existsSync(target)).toBe(false);
  });

  it('behind it, sysctl writes refuse any path outside net/ (IpvsValidationError), the addon with EINVAL', async () => {
    await refused(writeSetting({ netns: null }, climb, 'x'), 'setting');
    await refused(writeSetting({ netns: '/proc/self/ns/net' }, `net/../..${target}`, 'x'), 'setting');
    for (const path of [`/proc/sys/net/../..${target}`, '/proc/sys/net/ipv4/..', '/proc/sys/kernel/hostname', '/proc/sys/net//x', '/proc/sys/net/./x']) {
      let err: { errno?: number } | undefined;
      try {
        await native().openInNetns('/proc/self/ns/net', path, true);
      } catch (e) {
        err = e as { errno?: number };
      }
      expect(err?.errno, path).toBe(22);
    }
    expect(existsSync(target)).toBe(false);
  });

  // Every record below is refused as a whole, naming the field, before anything is written.
  const ok = { setting: 'net/ipv4/ip_forward', value: '0' };
  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'record'],
    ['{}', {}, 'record.netns'],
    ['null', null, 'record'],
    ['an array', [], 'record'],
    ['no settings', { netns: null }, 'record.settings'],
    ['settings not an array', { netns: null, settings: 'net/ipv4/ip_forward' }, 'record.settings'],
    ['an unknown key', { netns: null, settings: [], extra: 1 }, 'record.extra'],
    ['a prototype key', JSON.parse('{"netns":null,"settings":[],"__proto__":{}}'), 'record.__proto__'],
    ['an empty netns', { netns: '', settings: [ok] }, 'record.netns'],
    ['netns ..', { netns: '..', settings: [ok] }, 'record.netns'],
    ['a numeric netns', { netns: 5, settings: [ok] }, 'record.netns'],
    ['a setting entry that is no object', { netns: null, settings: ['net/ipv4/ip_forward'] }, 'record.settings[0]'],
    ['an extra key in a setting', { netns: null, settings: [{ ...ok, path: '/etc/passwd' }] }, 'record.settings[0].path'],
    ['a setting outside net/', { netns: null, settings: [{ setting: 'kernel/hostname', value: '1' }] }, 'record.settings[0].setting'],
    ['an absolute setting', { netns: null, settings: [{ setting: '/proc/sys/net/ipv4/ip_forward', value: '1' }] }, 'record.settings[0].setting'],
    ['an unknown IPVS file', { netns: null, settings: [{ setting: 'net/ipv4/vs/nosuch', value: '1' }] }, 'record.settings[0].setting'],
    ['an IPVS file named constructor', { netns: null, settings: [{ setting: 'net/ipv4/vs/constructor', value: '1' }] }, 'record.settings[0].setting'],
    ['an IPVS typed name instead of its file', { netns: null, settings: [{ setting: 'net/ipv4/vs/syncThreshold', value: '3 50' }] }, 'record.settings[0].setting'],
    ['a conf file the helpers never write', { netns: null, settings: [{ setting: 'net/ipv4/conf/all/forwarding', value: '1' }] }, 'record.settings[0].setting'],
    ['the default scope', { netns: null, settings: [{ setting: 'net/ipv4/conf/default/arp_ignore', value: '1' }] }, 'record.settings[0].setting'],
    ['an interface with a colon', { netns: null, settings: [{ setting: 'net/ipv4/conf/eth0:1/arp_ignore', value: '1' }] }, 'record.settings[0].setting'],
    ['an interface ..', { netns: null, settings: [{ setting: 'net/ipv4/conf/../arp_ignore', value: '1' }] }, 'record.settings[0].setting'],
    ['an interface of 16 bytes', { netns: null, settings: [{ setting: 'net/ipv4/conf/sixteen-bytes-xx/arp_ignore', value: '1' }] }, 'record.settings[0].setting'],
    ['a numeric setting', { netns: null, settings: [{ setting: 4, value: '1' }] }, 'record.settings[0].setting'],
    ['a value that is no number', { netns: null, settings: [{ setting: 'net/ipv4/ip_forward', value: 'x' }] }, 'record.settings[0].value'],
    ['two lines in a value', { netns: null, settings: [{ setting: 'net/ipv4/ip_forward', value: '1\n0' }] }, 'record.settings[0].value'],
    ['a numeric value', { netns: null, settings: [{ setting: 'net/ipv4/ip_forward', value: 1 }] }, 'record.settings[0].value'],
    ['a value with a leading zero', { netns: null, settings: [{ setting: 'net/ipv4/conf/all/rp_filter', value: '01' }] }, 'record.settings[0].value'],
    ['a value beyond 32 bits', { netns: null, settings: [{ setting: 'net/ipv4/vs/amemthresh', value: '4294967296' }] }, 'record.settings[0].value'],
    ['one number for sync_threshold', { netns: null, settings: [{ setting: 'net/ipv4/vs/sync_threshold', value: '3' }] }, 'record.settings[0].value'],
    ['two numbers for a single setting', { netns: null, settings: [{ setting: 'net/ipv4/vs/conntrack', value: '1 1' }] }, 'record.settings[0].value'],
    ['a bad entry after good ones', { netns: null, settings: [ok, ok, { setting: climb, value: '1' }] }, 'record.settings[2].setting'],
  ])('director.undo: %s', async (_what, record, field) => {
    await refused(director.undo(record as never), field);
    await refused(undoChanges(record as never), field);
  });

  it('records apply makes are accepted as they are, values as the kernel held them', () => {
    const record = {
      netns: '/run/netns/rs1',
      settings: [
        { setting: 'net/ipv4/conf/eth1.100/arp_ignore', value: '5' }, { setting: 'net/ipv4/conf/all/arp_announce', value: '0' },
        { setting: 'net/ipv4/conf/tunl0/rp_filter', value: '1' }, { setting: 'net/ipv4/vs/sync_threshold', value: '3 50' },
        { setting: 'net/ipv4/vs/drop_entry', value: '2' }, { setting: 'net/ipv6/conf/all/forwarding', value: '0' },
        { setting: 'net/ipv4/ip_forward', value: '1' }, { setting: 'net/ipv4/vs/am_droprate', value: '-1' },
      ],
    };
    expect(undoRecord(record)).toEqual(record);
    // A namespace name is resolved as everywhere else.
    expect(undoRecord({ netns: 'rs1', settings: [] }).netns).toBe('/run/netns/rs1');
  });

  const vipOk = { netns: null, interface: 'lo', address: '192.0.2.1', prefix: 32, added: true, broughtUp: false };
  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'record'],
    ['{}', {}, 'record.address'],
    ['an interface with a slash', { ...vipOk, interface: '../x' }, 'record.interface'],
    ['the all scope', { ...vipOk, interface: 'all' }, 'record.interface'],
    ['no address', { ...vipOk, address: 'x' }, 'record.address'],
    ['a prefix too long', { ...vipOk, prefix: 33 }, 'record.prefix'],
    ['prefix 0', { ...vipOk, prefix: 0 }, 'record.prefix'],
    ['added as text', { ...vipOk, added: 'yes' }, 'record.added'],
    ['no broughtUp', { ...vipOk, broughtUp: undefined }, 'record.broughtUp'],
    ['a bad netns', { ...vipOk, netns: '' }, 'record.netns'],
    ['an unknown key', { ...vipOk, toString: 1 }, 'record.toString'],
    ['kernelAdded not an array', { ...vipOk, kernelAdded: {} }, 'record.kernelAdded'],
    ['a bad kernelAdded address', { ...vipOk, kernelAdded: [{ address: '127.0.0.1', prefix: 40 }] }, 'record.kernelAdded[0].prefix'],
  ])('vip.undo: %s', async (_what, record, field) => {
    await refused(vip.undo(record as never), field);
  });

  it('real-server records: settings and the VIP are both checked before anything is undone', async () => {
    await refused(drRealServer.undo(undefined as never), 'record');
    await refused(tunRealServer.undo({} as never), 'record.netns');
    await refused(drRealServer.undo({ netns: null, settings: [], vip: { ...vipOk, interface: 'a/b' } }), 'record.vip.interface');
    await refused(tunRealServer.undo({ netns: null, settings: [{ setting: climb, value: '1' }], vip: vipOk }), 'record.settings[0].setting');
  });

  const routeOk = { netns: null, family: 'ipv4', added: { gateway: '192.0.2.1', interface: null }, previous: [] };
  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'record'],
    ['{}', {}, 'record.family'],
    ['a family of another kind', { ...routeOk, family: 'ipx' }, 'record.family'],
    ['a gateway of the other family', { ...routeOk, added: { gateway: '2001:db8::1', interface: null } }, 'record.added.gateway'],
    ['no gateway on the added route', { ...routeOk, added: { gateway: null, interface: 'eth0' } }, 'record.added.gateway'],
    ['a bad interface', { ...routeOk, previous: [{ gateway: null, interface: 'a/b' }] }, 'record.previous[0].interface'],
    ['previous not an array', { ...routeOk, previous: {} }, 'record.previous'],
    ['a bad netns', { ...routeOk, netns: 7 }, 'record.netns'],
  ])('defaultRoute.undo: %s', async (_what, record, field) => {
    await refused(defaultRoute.undo(record as never), field);
  });

  it('the target file was never written', () => {
    expect(existsSync(target)).toBe(false);
    expect(basename(target)).toMatch(/^ipvs-undo-/);
  });
});
