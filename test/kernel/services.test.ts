/**
 * Services round-trip through the kernel: what the library writes, ipvsadm
 * reads back identically; what ipvsadm writes, the library lists identically.
 * Each case is made twice, by the library in one namespace and by
 * `ipvsadm -R` in another, and the two tables must be the same.
 */
import { describe, expect, it } from 'vitest';
import type { BatchOperation, ServiceKey, ServiceOptions } from '../../lib';
import { plain, useNamespacePair } from '../helpers/kernel';

const ctx = useNamespacePair('svc');

interface Case {
  name: string;
  key: ServiceKey;
  options: ServiceOptions;
  /** The same service as an ipvsadm -R line. */
  rule: string;
}

const TCP = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const UDP = { protocol: 'udp', address: '192.0.2.1', port: 53 } as const;

const CASES: Case[] = [
  { name: 'tcp ipv4 rr', key: TCP, options: { scheduler: 'rr' }, rule: '-A -t 192.0.2.1:80 -s rr' },
  { name: 'default scheduler is wlc', key: TCP, options: {}, rule: '-A -t 192.0.2.1:80 -s wlc' },
  { name: 'udp one-packet', key: { protocol: 'udp', address: '192.0.2.2', port: 53 }, options: { scheduler: 'wrr', onePacket: true }, rule: '-A -u 192.0.2.2:53 -s wrr -o' },
  { name: 'sctp', key: { protocol: 'sctp', address: '192.0.2.3', port: 5000 }, options: { scheduler: 'lc' }, rule: '--add-service --sctp-service 192.0.2.3:5000 -s lc' },
  { name: 'ipv6 sh with flags', key: { protocol: 'tcp', address: '2001:db8::1', port: 443 }, options: { scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'] }, rule: '-A -t [2001:db8::1]:443 -s sh -b sh-fallback,sh-port' },
  { name: 'mh port flag', key: TCP, options: { scheduler: 'mh', schedulerFlags: ['mh-port'] }, rule: '-A -t 192.0.2.1:80 -s mh -b mh-port' },
  { name: 'raw flag-3', key: TCP, options: { scheduler: 'rr', schedulerFlags: ['flag-3'] }, rule: '-A -t 192.0.2.1:80 -s rr -b flag-3' },
  { name: 'persistence with ipv4 mask', key: TCP, options: { scheduler: 'rr', persistence: { timeout: 600, netmask: '255.255.255.0' } }, rule: '-A -t 192.0.2.1:80 -s rr -p 600 -M 255.255.255.0' },
  { name: 'persistence default timeout', key: TCP, options: { scheduler: 'rr', persistence: {} }, rule: '-A -t 192.0.2.1:80 -s rr -p' },
  { name: 'ipv6 persistence prefix', key: { protocol: 'tcp', address: '2001:db8::2', port: 80 }, options: { scheduler: 'wlc', persistence: { timeout: 60, netmask: 64 } }, rule: '-A -t [2001:db8::2]:80 -s wlc -p 60 -M 64' },
  { name: 'all ports with persistence', key: { protocol: 'tcp', address: '192.0.2.4', port: 0 }, options: { scheduler: 'rr', persistence: 300 }, rule: '-A -t 192.0.2.4:0 -s rr -p 300' },
  { name: 'fwmark ipv4', key: { fwmark: 1 }, options: { scheduler: 'rr' }, rule: '-A -f 1 -s rr' },
  { name: 'fwmark ipv6', key: { fwmark: 5, family: 'ipv6' }, options: { scheduler: 'dh' }, rule: '-A -f 5 -6 -s dh' },
  { name: 'sip persistence engine', key: { protocol: 'udp', address: '192.0.2.5', port: 5060 }, options: { scheduler: 'rr', persistence: 120, persistenceEngine: 'sip' }, rule: '-A -u 192.0.2.5:5060 -s rr -p 120 --pe sip' },
  ...['wlc', 'lblc', 'lblcr', 'sed', 'nq', 'fo', 'ovf'].map((s): Case => ({
    name: `scheduler ${s}`, key: TCP, options: { scheduler: s }, rule: `-A -t 192.0.2.1:80 -s ${s}`,
  })),
];

describe('services match ipvsadm both ways', () => {
  it.each(CASES)('$name', async ({ key, options, rule }) => {
    await ctx.ipvs.addService(key, options);
    ctx.theirs.restore(`${rule}\n`);
    expect(ctx.mine.saved()).toEqual(ctx.theirs.saved());
    // The reverse direction: what ipvsadm made, the library lists identically.
    expect(plain(await ctx.reader.listServices())).toEqual(plain(await ctx.ipvs.listServices()));
    const [listed] = await ctx.ipvs.listServices();
    expect(plain(await ctx.ipvs.getService(key))).toEqual(plain(listed));
  });
});

describe('service lifecycle', () => {
  it('updates only the given settings and keeps the rest', async () => {
    // UDP: one-packet scheduling is for datagrams (ipvsadm refuses it on TCP and SCTP too).
    await ctx.ipvs.addService(UDP, { scheduler: 'sh', schedulerFlags: ['sh-port'], persistence: { timeout: 60, netmask: 24 } });
    await ctx.ipvs.updateService(UDP, { onePacket: true });
    let svc = await ctx.ipvs.getService(UDP);
    expect(svc.config).toEqual({
      scheduler: 'sh', schedulerFlags: ['sh-port'], onePacket: true, persistence: { timeout: 60, netmask: 24 }, persistenceEngine: null,
    });
    expect(ctx.mine.saved()).toEqual(['-A -u 192.0.2.1:53 -s sh -p 60 -M 255.255.255.0 -o -b sh-port']);
    // Changing the scheduler drops flags that belonged to the old one; persistence can be turned off.
    await ctx.ipvs.updateService(UDP, { scheduler: 'lc', persistence: false });
    svc = await ctx.ipvs.getService(UDP);
    expect(svc.config).toMatchObject({ scheduler: 'lc', schedulerFlags: [], persistence: null, onePacket: true });
    expect(ctx.mine.saved()).toEqual(['-A -u 192.0.2.1:53 -s lc -o']);
  });

  it('deletes a service and its destinations', async () => {
    await ctx.ipvs.addService(TCP, { scheduler: 'rr' });
    await ctx.ipvs.addDestination(TCP, { address: '198.51.100.10', port: 80 });
    await ctx.ipvs.deleteService(TCP);
    expect(await ctx.ipvs.listServices()).toEqual([]);
    expect(ctx.mine.saved()).toEqual([]);
  });

  it('keeps fwmarks of 2^31 and above exact, where ipvsadm prints them negative', async () => {
    await ctx.ipvs.addService({ fwmark: 0xfffffffe }, { scheduler: 'rr' });
    const [svc] = await ctx.ipvs.listServices();
    expect(svc.key).toEqual({ fwmark: 0xfffffffe, family: 'ipv4' });
    expect(ctx.mine.saved()).toEqual(['-A -f -2 -s rr']);
  });

  it('lists many services, all distinct (a dump across several reads)', async () => {
    const ops = Array.from({ length: 600 }, (_, i) => ({
      op: 'addService' as const, service: { protocol: 'tcp' as const, address: '192.0.2.9', port: 1000 + i }, options: { scheduler: 'rr' },
    }));
    const results = await ctx.ipvs.batch(ops);
    expect(results.every((r) => r.ok)).toBe(true);
    const listed = await ctx.ipvs.listServices();
    const ports = new Set(listed.map((s) => ('port' in s.key ? s.key.port : -1)));
    expect(ports.size).toBe(600);
    expect(ctx.mine.saved().length).toBe(600);
  });

  it('getTable() = listServices() with each listDestinations(): every family and kind of service, dumped keys used as they came', async () => {
    const services = [
      { protocol: 'tcp', address: '192.0.2.9', port: 80 },
      { protocol: 'udp', address: '2001:db8::9', port: 53 },
      { protocol: 'sctp', address: '192.0.2.9', port: 0 },
      { fwmark: 7 },
      { fwmark: 7, family: 'ipv6' },
      { fwmark: 3000000000 },
    ] as const;
    const ops: BatchOperation[] = [];
    services.forEach((service, i) => {
      ops.push({ op: 'addService', service, options: { scheduler: 'rr', ...(i === 2 ? { persistence: 60 } : {}) } });
      const v6 = 'family' in service || ('address' in service && service.address.includes(':'));
      for (let d = 1; d <= 1 + i * 40; d++) {
        const address = v6 ? `2001:db8:1::${d.toString(16)}` : `198.51.100.${d % 250 + 1}`;
        ops.push({ op: 'addDestination', service, destination: { address, port: v6 ? 80 : 1000 + d }, options: { forwarding: 'masq', weight: i } });
      }
    });
    expect((await ctx.ipvs.batch(ops)).every((r) => r.ok)).toBe(true);
    const table = await ctx.ipvs.getTable();
    const listed = await ctx.ipvs.listServices();
    expect(table.map(({ destinations, ...svc }) => svc)).toEqual(listed);
    for (const entry of table) expect(entry.destinations).toEqual(await ctx.ipvs.listDestinations(entry.key));
    expect(table.map((e) => e.destinations.length).sort((a, b) => a - b)).toEqual([1, 41, 81, 121, 161, 201]);
  });
});
