/**
 * Host helpers on a real kernel: apply -> status -> undo leaves every setting
 * byte for byte as it was; writes the kernel ignores are caught; a namespace's
 * settings are its own.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultRoute, director, drRealServer, getIpvsSysctls, natRealServer, setIpvsSysctls, tunRealServer, vip, IpvsHostError, IpvsValidationError,
} from '../../lib';
import { writeSetting } from '../../lib/host/sysctl';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

let ns: TestNamespace;
beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('host');
  ns.exec('ip', 'link', 'add', 'eth0', 'type', 'dummy');
  ns.exec('ip', 'link', 'add', 'eth1.100', 'type', 'dummy');
});
afterAll(() => ns?.delete());

/** Every file these helpers may touch, as `cat` shows it from inside the namespace. */
function snapshot(): string {
  return ns.exec('sh', '-c',
    'for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/conf/*/arp_* ' +
    '/proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/conf/*/send_redirects /proc/sys/net/ipv4/vs/*; do printf "%s=" "$f"; cat "$f"; done');
}

describe('director', () => {
  it('apply turns forwarding and IPVS settings on, status sees it, undo restores every byte', async () => {
    const before = snapshot();
    expect(before).toContain('/proc/sys/net/ipv4/ip_forward=0');
    const record = await director.apply({ netns: ns.name, ipv6Forwarding: true, ipvs: { conntrack: true, expireNodestConn: true, syncThreshold: [5, 60] } });
    const status = await director.status({ netns: ns.name });
    expect(status).toMatchObject({ ready: true, ipv4Forwarding: true, ipv6Forwarding: true });
    expect(status.ipvs).toMatchObject({ conntrack: true, expireNodestConn: true, syncThreshold: [5, 60] });
    expect(ns.exec('cat', '/proc/sys/net/ipv4/vs/sync_threshold').trim().split(/\s+/)).toEqual(['5', '60']);
    // The record is plain data: it survives being written to disk.
    await director.undo(JSON.parse(JSON.stringify(record)));
    expect(snapshot()).toBe(before);
  });

  it('noRedirects: send_redirects off on all and each interface; status reads the effective (OR) value; undo restores', async () => {
    const before = snapshot();
    expect(before).toContain('/proc/sys/net/ipv4/conf/eth0/send_redirects=1');
    expect((await director.status({ netns: ns.name, noRedirects: ['eth0'] })).redirects).toEqual([{ interface: 'eth0', sending: true }]);
    const record = await director.apply({ netns: ns.name, noRedirects: ['eth0'] });
    expect(ns.exec('cat', '/proc/sys/net/ipv4/conf/all/send_redirects', '/proc/sys/net/ipv4/conf/eth0/send_redirects')).toBe('0\n0\n');
    expect(await director.status({ netns: ns.name, noRedirects: ['eth0'] })).toMatchObject({ ready: true, redirects: [{ interface: 'eth0', sending: false }] });
    // The kernel sends when all OR the interface says so: one of them on is enough.
    ns.exec('sysctl', '-qw', 'net.ipv4.conf.all.send_redirects=1');
    expect(await director.status({ netns: ns.name, noRedirects: ['eth0'] })).toMatchObject({ ready: false, redirects: [{ interface: 'eth0', sending: true }] });
    ns.exec('sysctl', '-qw', 'net.ipv4.conf.all.send_redirects=0');
    await expect(director.apply({ netns: ns.name, noRedirects: ['no-such-if'] })).rejects.toMatchObject({ code: 'ENOENT' });
    await director.undo(JSON.parse(JSON.stringify(record)));
    expect(snapshot()).toBe(before);
  });

  it("leaves this process's own namespace alone", async () => {
    const mine = await director.status();
    const record = await director.apply({ netns: ns.name });
    expect((await director.status()).ipv4Forwarding).toBe(mine.ipv4Forwarding);
    await director.undo(record);
  });

  it('typed IPVS settings read back as written; a write the kernel ignores is an error, not a success', async () => {
    const all = await getIpvsSysctls({ netns: ns.name });
    expect(typeof all.conntrack).toBe('boolean');
    expect(all.syncThreshold).toHaveLength(2);
    const record = await setIpvsSysctls({ secureTcp: 3, sloppyTcp: true }, { netns: ns.name });
    expect(await getIpvsSysctls({ netns: ns.name })).toMatchObject({ secureTcp: 3, sloppyTcp: true });
    await director.undo(record);
    expect(await getIpvsSysctls({ netns: ns.name })).toEqual(all);
    // Defense mode 2 is a state the kernel sets itself ("on, automatically"): with memory to
    // spare it turns a written 2 back into 1 at once. The read-back says so instead of succeeding.
    await expect(setIpvsSysctls({ secureTcp: 2 }, { netns: ns.name })).rejects.toMatchObject({ code: 'ERR_IPVS_SETTING_NOT_KEPT', actual: '1' });
    expect(await getIpvsSysctls({ netns: ns.name })).toEqual(all);
    // A value the kernel refuses outright keeps its errno (bypassing validation to get there).
    const err = await writeSetting({ netns: `/run/netns/${ns.name}` }, 'net/ipv4/vs/drop_entry', '9').catch((e) => e);
    expect(err).toBeInstanceOf(IpvsHostError);
    expect(err).toMatchObject({ code: 'EINVAL', setting: 'net/ipv4/vs/drop_entry', value: '9' });
  });
});

describe('real servers', () => {
  it('DR: ARP settings on all and the interfaces; status reports the effective values; undo restores', async () => {
    const before = snapshot();
    const notYet = await drRealServer.status({ netns: ns.name, interfaces: ['eth0'] });
    expect(notYet.ready).toBe(false);
    const record = await drRealServer.apply({ netns: ns.name, interfaces: ['eth0', 'eth1.100'] });
    const status = await drRealServer.status({ netns: ns.name, interfaces: ['eth0', 'eth1.100', 'lo'] });
    expect(status.ready).toBe(true);
    expect(status.interfaces[0]).toMatchObject({ interface: 'eth0', arpIgnore: 1, arpAnnounce: 2 });
    // lo was not set itself: its effective value comes from `all`.
    expect(ns.exec('cat', '/proc/sys/net/ipv4/conf/lo/arp_ignore').trim()).toBe('0');
    expect(status.interfaces[2]).toMatchObject({ interface: 'lo', arpIgnore: 1, arpAnnounce: 2 });
    await drRealServer.undo(record);
    expect(snapshot()).toBe(before);
  });

  it('TUN: rp_filter off on the tunnel device and all, ARP settings; undo restores', async () => {
    ns.exec('sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 2 > /proc/sys/net/ipv4/conf/tunl0/rp_filter');
    const before = snapshot();
    const record = await tunRealServer.apply({ netns: ns.name, interfaces: ['eth0'] });
    const status = await tunRealServer.status({ netns: ns.name, interfaces: ['eth0'] });
    expect(status.ready).toBe(true);
    expect(status.interfaces.find((i) => i.interface === 'tunl0')).toMatchObject({ rpFilter: 0, arpIgnore: 1, arpAnnounce: 2 });
    await tunRealServer.undo(record);
    expect(snapshot()).toBe(before);
  });

  it('with a VIP: settings, then the VIP on lo (DR) or ip6tnl0 (TUN, IPv6); undo restores settings and addresses', async () => {
    const addresses = () => ns.exec('ip', '-o', 'addr', 'show').split('\n').map((l) => l.replace(/\s+valid_lft.*$/, '')).sort().join('\n');
    const before = snapshot() + addresses();
    const dr = await drRealServer.apply({ netns: ns.name, interfaces: ['eth0'], vip: '192.0.2.20' });
    expect(dr.vip).toMatchObject({ interface: 'lo', address: '192.0.2.20', prefix: 32, added: true });
    const drStatus = await drRealServer.status({ netns: ns.name, interfaces: ['eth0'], vip: '192.0.2.20' });
    expect(drStatus).toMatchObject({ ready: true, vip: { present: true, up: true } });
    const tun = await tunRealServer.apply({ netns: ns.name, interfaces: ['eth0'], vip: '2001:db8:7::20' });
    expect(tun.vip).toMatchObject({ interface: 'ip6tnl0', prefix: 128, added: true, broughtUp: true });
    expect(await tunRealServer.status({ netns: ns.name, interfaces: ['eth0'], vip: '2001:db8:7::20' })).toMatchObject({ ready: true });
    await tunRealServer.undo(JSON.parse(JSON.stringify(tun)));
    await drRealServer.undo(JSON.parse(JSON.stringify(dr)));
    expect(snapshot() + addresses()).toBe(before);
    // Not held: status says so.
    expect(await drRealServer.status({ netns: ns.name, interfaces: ['eth0'], vip: '192.0.2.20' })).toMatchObject({ ready: false, vip: { present: false } });
  });

  it('a missing interface fails before anything is written', async () => {
    const before = snapshot();
    await expect(drRealServer.apply({ netns: ns.name, interfaces: ['eth0', 'nosuch0'] }))
      .rejects.toMatchObject({ code: 'ENOENT', setting: 'net/ipv4/conf/nosuch0/arp_ignore' });
    expect(snapshot()).toBe(before);
  });

  it('a namespace that does not exist is ENOENT', async () => {
    await expect(director.status({ netns: 'no-such-namespace' })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('undo records are input', () => {
  it('a record naming a file outside /proc/sys/net is refused before anything is written, in another namespace too', async () => {
    const before = snapshot();
    const target = `/tmp/ipvs-undo-${process.pid}`;
    for (const setting of [`../..${target}`, `net/../..${target}`, `net/ipv4/conf/all/../../../..${target}`]) {
      const record = { netns: `/run/netns/${ns.name}`, settings: [{ setting: 'net/ipv4/ip_forward', value: '1' }, { setting, value: 'x' }] };
      const err = await director.undo(record).catch((e) => e);
      expect(err).toBeInstanceOf(IpvsValidationError);
      expect(err).toMatchObject({ field: 'record.settings[1].setting', value: setting });
    }
    expect(existsSync(target)).toBe(false);
    expect(ns.exec('sh', '-c', `test -e ${target} && echo there || echo absent`).trim()).toBe('absent');
    // The first, valid, setting was not written either: the record is checked whole first.
    expect(snapshot()).toBe(before);
  });

  it('a FIFO given as the namespace is refused at once (EINVAL), not waited on', async () => {
    const fifo = `/tmp/ipvs-fifo-${process.pid}`;
    ns.exec('mkfifo', fifo);
    try {
      const started = Date.now();
      await expect(director.status({ netns: fifo })).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(vip.status({ netns: fifo, address: '192.0.2.1' })).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(director.undo({ netns: fifo, settings: [{ setting: 'net/ipv4/ip_forward', value: '0' }] })).rejects.toMatchObject({ code: 'EINVAL' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      ns.exec('rm', '-f', fifo);
    }
  });
});

describe('a namespace whose lo is down', () => {
  // The kernel gives lo 127.0.0.1/8 and ::1 when it comes up: undo takes them away again.
  it('DR real server with a VIP: apply brings lo up, undo leaves lo exactly as it was (down, no addresses)', async () => {
    const fresh = new TestNamespace('lodown', { loUp: false });
    try {
      // The qdisc is left out: the kernel attaches a default one the first time a device goes up, for good.
      const lo = () => fresh.exec('ip', 'addr', 'show', 'dev', 'lo').replace(/qdisc \S+/, '');
      const before = lo();
      expect(before).not.toMatch(/inet/);
      const record = await drRealServer.apply({ netns: fresh.name, interfaces: ['lo'], vip: '192.0.2.30' });
      expect(record.vip).toMatchObject({ broughtUp: true, added: true });
      expect(record.vip?.kernelAdded).toEqual(expect.arrayContaining([{ address: '127.0.0.1', prefix: 8 }]));
      expect(lo()).toMatch(/inet 127\.0\.0\.1\/8/);
      await drRealServer.undo(JSON.parse(JSON.stringify(record)));
      expect(lo()).toBe(before);
      // And again with an IPv6 VIP on lo.
      const v6 = await vip.apply({ netns: fresh.name, address: '2001:db8:9::30' });
      expect(v6).toMatchObject({ broughtUp: true, added: true });
      await vip.undo(v6);
      expect(lo()).toBe(before);
    } finally {
      fresh.delete();
    }
  });
});

describe('vip', () => {
  const addrs = () => ns.exec('ip', '-o', 'addr', 'show').split('\n').map((l) => l.replace(/\s+valid_lft.*$/, '')).sort().join('\n');
  // Flags and state; the qdisc is left out (the kernel attaches a default one the first time a device goes up).
  const links = () => ns.exec('ip', '-o', 'link', 'show').replace(/qdisc \S+|qlen \d+|link\/\S+ \S+ brd \S+/g, '');

  it('puts a /32 VIP on loopback, status sees it, undo removes exactly it', async () => {
    const before = addrs();
    const record = await vip.apply({ netns: ns.name, address: '192.0.2.10' });
    expect(record).toMatchObject({ interface: 'lo', prefix: 32, added: true, broughtUp: false });
    expect(ns.exec('ip', '-o', 'addr', 'show', 'dev', 'lo')).toMatch(/inet 192\.0\.2\.10\/32 /);
    expect(await vip.status({ netns: ns.name, address: '192.0.2.10' })).toMatchObject({ present: true, up: true });
    await vip.undo(JSON.parse(JSON.stringify(record)));
    expect(addrs()).toBe(before);
    expect((await vip.status({ netns: ns.name, address: '192.0.2.10' })).present).toBe(false);
  });

  it('brings a down interface up for an IPv6 VIP and back down on undo', async () => {
    ns.exec('ip', 'link', 'add', 'vip0', 'type', 'dummy');
    const beforeLinks = links();
    const record = await vip.apply({ netns: ns.name, address: '2001:DB8::10', interface: 'vip0' });
    expect(record).toMatchObject({ address: '2001:db8::10', prefix: 128, added: true, broughtUp: true });
    const status = await vip.status({ netns: ns.name, address: '2001:db8::10', interface: 'vip0' });
    expect(status).toMatchObject({ present: true, up: true });
    expect(status.addresses).toContainEqual({ address: '2001:db8::10', prefix: 128 });
    await vip.undo(record);
    expect(links()).toBe(beforeLinks);
    expect(ns.exec('ip', '-o', 'addr', 'show', 'dev', 'vip0')).not.toMatch(/2001:db8::10/);
  });

  it('an IPv6 VIP is usable at once and never a source address, unless asked', async () => {
    ns.exec('ip', 'link', 'add', 'vip1', 'type', 'dummy');
    ns.exec('ip', 'link', 'set', 'vip1', 'up');
    const before = addrs();
    const show = () => ns.exec('ip', '-o', '-6', 'addr', 'show', 'dev', 'vip1');
    // Default: no duplicate address detection (never tentative), preferred lifetime 0 ("deprecated").
    const plain = await vip.apply({ netns: ns.name, address: '2001:db8:5::10', interface: 'vip1' });
    expect(show()).toMatch(/inet6 2001:db8:5::10\/128 scope global nodad deprecated /);
    expect(show()).toMatch(/preferred_lft 0sec/);
    // Asked for: DAD runs and the address may be a source (forever preferred).
    const both = await vip.apply({ netns: ns.name, address: '2001:db8:5::11', interface: 'vip1', dad: true, usableAsSource: true });
    const line = show().split('\n').find((l) => l.includes('2001:db8:5::11/128')) ?? '';
    expect(line).not.toMatch(/deprecated|nodad/);
    expect(line).toMatch(/preferred_lft forever/);
    await vip.undo(both);
    await vip.undo(plain);
    expect(addrs()).toBe(before);
  });

  it('an address that was already there is left in place by undo', async () => {
    ns.exec('ip', 'addr', 'add', '192.0.2.11/32', 'dev', 'lo');
    const record = await vip.apply({ netns: ns.name, address: '192.0.2.11' });
    expect(record.added).toBe(false);
    await vip.undo(record);
    expect(ns.exec('ip', '-o', 'addr', 'show', 'dev', 'lo')).toMatch(/192\.0\.2\.11\/32/);
  });

  it('a missing interface is ENODEV, named', async () => {
    await expect(vip.apply({ netns: ns.name, address: '192.0.2.12', interface: 'nosuch0' }))
      .rejects.toMatchObject({ code: 'ENODEV', setting: 'interface nosuch0' });
  });
});

describe('NAT real server', () => {
  const routes = () => ns.exec('ip', 'route', 'show', 'table', 'main');

  it('replaces the default route with one through the director; undo puts the old one back', async () => {
    ns.exec('ip', 'link', 'add', 'lan0', 'type', 'dummy');
    ns.exec('ip', 'addr', 'add', '192.0.2.50/24', 'dev', 'lan0');
    ns.exec('ip', 'link', 'set', 'lan0', 'up');
    ns.exec('ip', 'route', 'add', 'default', 'via', '192.0.2.254');
    const before = routes();
    const record = await natRealServer.apply({ netns: ns.name, gateway: '192.0.2.1' });
    expect(record.previous).toEqual([{ gateway: '192.0.2.254', interface: 'lan0' }]);
    expect(ns.exec('ip', 'route', 'show', 'default')).toMatch(/^default via 192\.0\.2\.1 dev lan0/);
    expect(await natRealServer.status({ netns: ns.name, gateway: '192.0.2.1' })).toMatchObject({ ready: true });
    await natRealServer.undo(JSON.parse(JSON.stringify(record)));
    expect(routes()).toBe(before);
    expect((await natRealServer.status({ netns: ns.name, gateway: '192.0.2.1' })).ready).toBe(false);
  });

  it('IPv6: replaces the default route, undo restores the table byte for byte', async () => {
    const routes6 = () => ns.exec('ip', '-6', 'route', 'show', 'table', 'main');
    ns.exec('ip', 'link', 'add', 'lan6', 'type', 'dummy');
    ns.exec('ip', 'addr', 'add', '2001:db8:6::50/64', 'dev', 'lan6', 'nodad');
    ns.exec('ip', 'link', 'set', 'lan6', 'up');
    ns.exec('ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:6::fe');
    const before = routes6();
    const record = await defaultRoute.apply({ netns: ns.name, gateway: '2001:db8:6::1' });
    expect(record).toMatchObject({ family: 'ipv6', previous: [{ gateway: '2001:db8:6::fe', interface: 'lan6' }] });
    expect(ns.exec('ip', '-6', 'route', 'show', 'default')).toMatch(/^default via 2001:db8:6::1 dev lan6/);
    expect(await defaultRoute.status({ netns: ns.name, gateway: '2001:db8:6::1' })).toMatchObject({ ready: true });
    await defaultRoute.undo(record);
    expect(routes6()).toBe(before);
  });

  it('a gateway on no connected network is refused and the old route stays', async () => {
    const before = routes();
    await expect(natRealServer.apply({ netns: ns.name, gateway: '198.51.100.1' })).rejects.toMatchObject({ code: 'ENETUNREACH' });
    expect(routes()).toBe(before);
  });
});
