/**
 * Destinations: every forwarding method, weights, thresholds and tunnel
 * settings, compared with ipvsadm's own listings (-Sn drops thresholds, so
 * --thresholds and --tun-info are compared too).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { IpvsValidationError, type DestinationKey, type DestinationOptions } from '../../lib';
import { native } from '../../lib/binding';
import { CMD } from '../../lib/constants';
import { TestNamespace, plain, useNamespacePair } from '../helpers/kernel';

const ctx = useNamespacePair('dst');
const V4 = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const V6 = { protocol: 'tcp', address: '2001:db8::1', port: 80 } as const;
const V4_RULE = '-A -t 192.0.2.1:80 -s wrr';
const V6_RULE = '-A -t [2001:db8::1]:80 -s wrr';

beforeEach(async () => {
  await ctx.ipvs.addService(V4, { scheduler: 'wrr' });
  await ctx.ipvs.addService(V6, { scheduler: 'wrr' });
});

interface Case {
  name: string;
  v6?: boolean;
  dest: DestinationKey;
  options: DestinationOptions;
  rule: string;
}

const CASES: Case[] = [
  { name: 'masq (NAT)', dest: { address: '198.51.100.10', port: 8080 }, options: { forwarding: 'masq', weight: 3 }, rule: '-a -t 192.0.2.1:80 -r 198.51.100.10:8080 -m -w 3' },
  { name: 'route (DR) is the default', dest: { address: '198.51.100.11', port: 80 }, options: {}, rule: '-a -t 192.0.2.1:80 -r 198.51.100.11:80 -g -w 1' },
  { name: 'weight 0 quiesces', dest: { address: '198.51.100.12', port: 80 }, options: { forwarding: 'masq', weight: 0 }, rule: '-a -t 192.0.2.1:80 -r 198.51.100.12:80 -m -w 0' },
  { name: 'largest weight', dest: { address: '198.51.100.13', port: 80 }, options: { forwarding: 'masq', weight: 2147483647 }, rule: '-a -t 192.0.2.1:80 -r 198.51.100.13:80 -m -w 2147483647' },
  { name: 'thresholds', dest: { address: '198.51.100.14', port: 80 }, options: { forwarding: 'masq', upperThreshold: 100, lowerThreshold: 20 }, rule: '-a -t 192.0.2.1:80 -r 198.51.100.14:80 -m -w 1 -x 100 -y 20' },
  { name: 'tunnel ipip (TUN)', dest: { address: '203.0.113.10', port: 80 }, options: { forwarding: 'tunnel' }, rule: '-a -t 192.0.2.1:80 -r 203.0.113.10:80 -i -w 1' },
  { name: 'tunnel gue with checksum', dest: { address: '203.0.113.11', port: 80 }, options: { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }, rule: '-a -t 192.0.2.1:80 -r 203.0.113.11:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum' },
  { name: 'tunnel gue remote checksum', dest: { address: '203.0.113.12', port: 80 }, options: { forwarding: 'tunnel', tunnel: { type: 'gue', port: 5555, checksum: 'remcsum' } }, rule: '-a -t 192.0.2.1:80 -r 203.0.113.12:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum' },
  { name: 'tunnel gre', dest: { address: '203.0.113.13', port: 80 }, options: { forwarding: 'tunnel', tunnel: { type: 'gre' } }, rule: '-a -t 192.0.2.1:80 -r 203.0.113.13:80 -i -w 1 --tun-type gre' },
  { name: 'ipv6 masq', v6: true, dest: { address: '2001:db8::10', port: 8080 }, options: { forwarding: 'masq', weight: 2 }, rule: '-a -t [2001:db8::1]:80 -r [2001:db8::10]:8080 -m -w 2' },
  { name: 'ipv6 real server behind an ipv4 service (tunnel)', dest: { address: '2001:db8::20', port: 80 }, options: { forwarding: 'tunnel' }, rule: '-a -t 192.0.2.1:80 -r [2001:db8::20]:80 -i -w 1' },
  { name: 'ipv4 real server behind an ipv6 service (tunnel)', v6: true, dest: { address: '203.0.113.20', port: 80 }, options: { forwarding: 'tunnel' }, rule: '-a -t [2001:db8::1]:80 -r 203.0.113.20:80 -i -w 1' },
];

function listings(ns: TestNamespace): string[] {
  return ['--thresholds', '--tun-info', '--persistent-conn', '--stats --exact'].map((flags) =>
    ns.ipvsadm('-L', '-n', ...flags.split(' ')));
}

describe('destinations match ipvsadm both ways', () => {
  it.each(CASES)('$name', async ({ v6, dest, options, rule }) => {
    await ctx.ipvs.addDestination(v6 ? V6 : V4, dest, options);
    ctx.theirs.restore(`${V4_RULE}\n${V6_RULE}\n${rule}\n`);
    expect(ctx.mine.saved()).toEqual(ctx.theirs.saved());
    expect(listings(ctx.mine)).toEqual(listings(ctx.theirs));
    const service = v6 ? V6 : V4;
    expect(plain(await ctx.reader.listDestinations(service))).toEqual(plain(await ctx.ipvs.listDestinations(service)));
  });
});

describe('destination lifecycle', () => {
  it('route and tunnel destinations cannot change the port: refused before the kernel', async () => {
    for (const forwarding of ['route', 'tunnel'] as const) {
      await expect(ctx.ipvs.addDestination(V4, { address: '198.51.100.20', port: 8080 }, { forwarding }))
        .rejects.toMatchObject({ code: 'ERR_IPVS_INVALID', field: 'destination.port', value: 8080 });
    }
    expect(await ctx.ipvs.listDestinations(V4)).toEqual([]);
  });

  it('the local method, as ipvsadm shows it', async () => {
    ctx.mine.exec('ip', 'addr', 'add', '192.0.2.1/32', 'dev', 'lo');
    await ctx.ipvs.addDestination(V4, { address: '192.0.2.1', port: 80 }, { forwarding: 'local' });
    const [d] = await ctx.ipvs.listDestinations(V4);
    expect(d.config.forwarding).toBe('local');
    expect(ctx.mine.ipvsadm('-L', '-n')).toMatch(/192\.0\.2\.1:80\s+Local/);
    ctx.mine.exec('ip', 'addr', 'del', '192.0.2.1/32', 'dev', 'lo');
  });

  it('updates only the given settings', async () => {
    const dest = { address: '203.0.113.30', port: 80 };
    await ctx.ipvs.addDestination(V4, dest, { forwarding: 'tunnel', weight: 5, upperThreshold: 50, lowerThreshold: 10, tunnel: { type: 'gue', port: 6080 } });
    await ctx.ipvs.updateDestination(V4, dest, { weight: 9 });
    let [d] = await ctx.ipvs.listDestinations(V4);
    expect(d.config).toEqual({ forwarding: 'tunnel', weight: 9, upperThreshold: 50, lowerThreshold: 10, tunnel: { type: 'gue', port: 6080, checksum: 'nocsum' } });
    await ctx.ipvs.updateDestination(V4, dest, { forwarding: 'masq' });
    [d] = await ctx.ipvs.listDestinations(V4);
    expect(d.config).toEqual({ forwarding: 'masq', weight: 9, upperThreshold: 50, lowerThreshold: 10, tunnel: null });
    expect(ctx.mine.ipvsadm('-L', '-n', '--thresholds')).toMatch(/203\.0\.113\.30:80\s+50\s+10\s/);
  });

  it('deletes a destination', async () => {
    const dest = { address: '198.51.100.40', port: 80 };
    await ctx.ipvs.addDestination(V4, dest, { forwarding: 'masq' });
    await ctx.ipvs.deleteDestination(V4, dest);
    expect(await ctx.ipvs.listDestinations(V4)).toEqual([]);
    expect(ctx.mine.saved()).not.toContain('-a -t 192.0.2.1:80 -r 198.51.100.40:80 -m -w 1');
  });

  it('lists destinations ipvsadm added, with connection counts', async () => {
    ctx.mine.ipvsadm('-a', '-t', '192.0.2.1:80', '-r', '198.51.100.50:80', '-m', '-w', '4', '-x', '7', '-y', '3');
    const [d] = await ctx.ipvs.listDestinations(V4);
    expect(d).toMatchObject({
      key: { address: '198.51.100.50', port: 80 }, family: 'ipv4',
      config: { forwarding: 'masq', weight: 4, upperThreshold: 7, lowerThreshold: 3, tunnel: null },
      connections: { active: 0, inactive: 0, persistent: 0 },
    });
    expect(typeof d.stats.conns).toBe('bigint');
  });
});

describe('addresses the kernel refuses as real servers are refused first, naming the field (issue 8, item 8)', () => {
  const NOT_SERVERS: [string, typeof V4 | typeof V6, string][] = [
    ['this network', V4, '0.0.0.0'],
    ['IPv4 multicast', V4, '224.0.0.1'],
    ['limited broadcast', V4, '255.255.255.255'],
    ['IPv6 unspecified', V6, '::'],
    ['IPv6 multicast', V6, 'ff02::1'],
    ['IPv4-mapped behind an IPv6 service', V6, '::ffff:198.51.100.7'],
  ];

  /** What the kernel answers when validation is bypassed (a raw request through the addon). */
  async function kernelAnswer(service: typeof V4 | typeof V6, address: string): Promise<number> {
    const client = new (native().Client)();
    await client.open(`/run/netns/${ctx.mine.name}`, 5000);
    try {
      const family = service.address.includes(':') ? 10 : 2;
      const svc = { family, protocol: 6, address: service.address, port: 80, fwmark: 0 };
      const dest = { family: address.includes(':') ? 10 : 2, address, port: 80, forwarding: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
      const [status] = await client.execute([{ cmd: CMD.NEW_DEST, service: svc, destination: dest }], 5000);
      return status;
    } finally {
      client.close();
    }
  }

  it.each(NOT_SERVERS)('%s: the kernel itself answers EINVAL; the library says which field first', async (_n, service, addr) => {
    expect(await kernelAnswer(service, addr)).toBe(22);
    const err = await ctx.ipvs.addDestination(service, { address: addr, port: 80 }, { forwarding: 'masq' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect(err).toMatchObject({ field: 'destination.address', value: addr });
    expect(ctx.mine.saved()).toEqual([V4_RULE, V6_RULE].sort());
  });

  it('00ff::1 (written ff::1) is not multicast: the kernel takes it, so does the library', async () => {
    await ctx.ipvs.addDestination(V6, { address: 'ff::1', port: 80 }, { forwarding: 'masq' });
    expect(ctx.mine.saved()).toContain('-a -t [2001:db8::1]:80 -r [ff::1]:80 -m -w 1');
  });
});
