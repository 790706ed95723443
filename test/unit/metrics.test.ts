/**
 * lib/metrics against a fake addon: the table (getTable) and /proc/net/ip_vs_stats (readProcNet) are
 * scripted, and the Prometheus text is read back: names, help, types, labels and values, the
 * node_exporter names, fwmark and IPv6 labels, no stale series, errors, options.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { Ipvs, IpvsError, IpvsValidationError, createMetrics } from '../../lib';
import type { NativeStats, NativeTableEntry } from '../../lib/binding';
import { parseGlobalStats } from '../../lib/metrics';
import { answers, calls, resetFake, timeouts } from '../helpers/fake-binding';
import { families, parseSamples, seriesOf, valueOf } from '../helpers/prom-text';

const procNet = vi.hoisted(() => ({
  text: '', error: null as null | Error, calls: [] as { netns: string | null; names: readonly string[]; timeout: number }[],
}));

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  const readProcNet = async (netns: string | null, names: readonly string[], timeout: number) => {
    procNet.calls.push({ netns, names, timeout });
    if (procNet.error) throw procNet.error;
    return [Buffer.from(procNet.text, 'latin1')];
  };
  return { ...real, native: () => ({ ...real.native(), Client: Fake, readProcNet }) };
});

/** The kernel's ip_vs_stats_show format: totals, then rates, as hex. */
function statsFile(totals: bigint[], rates: bigint[]): string {
  const row = (v: bigint[]) => `${v.slice(0, 3).map((x) => x.toString(16).toUpperCase().padStart(8)).join(' ')} ` +
    `${v.slice(3).map((x) => x.toString(16).toUpperCase().padStart(16)).join(' ')}`;
  return '   Total Incoming Outgoing         Incoming         Outgoing\n' +
    '   Conns  Packets  Packets            Bytes            Bytes\n' +
    `${row(totals)}\n\n` +
    ' Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n' +
    `${row(rates)}\n`;
}

/** node_exporter's collector/fixtures/proc/net/ip_vs_stats, as it is. */
const NODE_EXPORTER_FIXTURE = `   Total Incoming Outgoing         Incoming         Outgoing
   Conns  Packets  Packets            Bytes            Bytes
 16AA370 E33656E5        0     51D8C8883AB3                0

 Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s
       4    1FB3C        0          1282A8F                0
`;

/** Every field a different number, so a field reported under another's name shows. */
function stats(base: number): NativeStats {
  const b = BigInt(base);
  return {
    conns: b + 1n, inPackets: b + 2n, outPackets: b + 3n, inBytes: b + 4n, outBytes: b + 5n,
    cps: b + 6n, inPps: b + 7n, outPps: b + 8n, inBps: b + 9n, outBps: b + 10n,
  };
}

const svc = (s: Partial<NativeTableEntry['service']>): NativeTableEntry['service'] => ({
  family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'wlc', persistenceEngine: '', flags: 0, timeout: 0,
  netmask: 0xffffffff, ...s,
});
const dest = (d: Partial<NativeTableEntry['destinations'][number]>): NativeTableEntry['destinations'][number] => ({
  family: 2, address: '198.51.100.1', port: 80, forwarding: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0,
  activeConns: 0, inactiveConns: 0, persistentConns: 0, ...d,
});

const MARK = 0x10001000;
function table(): NativeTableEntry[] {
  return [
    {
      service: svc({ stats: stats(100) }),
      destinations: [
        dest({ address: '198.51.100.1', weight: 3, activeConns: 4, inactiveConns: 5, persistentConns: 6, stats: stats(200) }),
        dest({ address: '198.51.100.2', port: 8080, weight: 0, activeConns: 1, inactiveConns: 2, stats: stats(300) }),
      ],
    },
    {
      service: svc({ family: 10, protocol: 17, address: '2001:db8::10', port: 53, netmask: 128, stats: stats(400) }),
      destinations: [dest({ family: 10, address: '2001:db8::11', port: 53, weight: 7, activeConns: 0, inactiveConns: 9, stats: stats(500) })],
    },
    {
      service: svc({ protocol: 0, address: undefined, port: undefined, fwmark: MARK, stats: stats(600) }),
      destinations: [dest({ address: '198.51.100.3', port: 3306, weight: 100, activeConns: 321, inactiveConns: 5, stats: stats(700) })],
    },
    {
      service: svc({ family: 10, protocol: 0, address: undefined, port: undefined, fwmark: MARK, netmask: 128, stats: stats(800) }),
      // A tunnel destination of the other family: node_exporter's labels coincide with the IPv4 mark's.
      destinations: [dest({ address: '198.51.100.3', port: 3306, forwarding: 2, weight: 20, activeConns: 64, inactiveConns: 1, stats: stats(900) })],
    },
    {
      service: svc({ protocol: 132, address: '192.0.2.2', port: 9, stats: stats(1000) }),
      destinations: [],
    },
  ];
}

let ipvs: Ipvs;
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(() => {
  resetFake();
  procNet.calls.length = 0;
  procNet.error = null;
  procNet.text = NODE_EXPORTER_FIXTURE;
  answers.table = table();
});

describe('the kernel metrics', () => {
  it('report every service and real server under ipvs_ with their labels and values', async () => {
    const m = createMetrics({ ipvs });
    const s = parseSamples(await m.scrape());
    const tcp = { service: 'tcp 192.0.2.1:80' };
    const fields = [['connections_total', 1], ['incoming_packets_total', 2], ['outgoing_packets_total', 3], ['incoming_bytes_total', 4],
      ['outgoing_bytes_total', 5], ['connections_per_second', 6], ['incoming_packets_per_second', 7], ['outgoing_packets_per_second', 8],
      ['incoming_bytes_per_second', 9], ['outgoing_bytes_per_second', 10]] as const;
    for (const [suffix, offset] of fields) {
      expect(valueOf(s, `ipvs_service_${suffix}`, tcp), suffix).toBe(100 + offset);
      expect(valueOf(s, `ipvs_service_${suffix}`, { service: 'udp [2001:db8::10]:53' }), suffix).toBe(400 + offset);
      expect(valueOf(s, `ipvs_service_${suffix}`, { service: `fwmark ${MARK}` }), suffix).toBe(600 + offset);
      expect(valueOf(s, `ipvs_service_${suffix}`, { service: `fwmark ${MARK} ipv6` }), suffix).toBe(800 + offset);
      expect(valueOf(s, `ipvs_service_${suffix}`, { service: 'sctp 192.0.2.2:9' }), suffix).toBe(1000 + offset);
      expect(valueOf(s, `ipvs_destination_${suffix}`, { ...tcp, destination: '198.51.100.1:80' }), suffix).toBe(200 + offset);
      expect(valueOf(s, `ipvs_destination_${suffix}`, { ...tcp, destination: '198.51.100.2:8080' }), suffix).toBe(300 + offset);
      expect(valueOf(s, `ipvs_destination_${suffix}`, { service: 'udp [2001:db8::10]:53', destination: '[2001:db8::11]:53' }), suffix).toBe(500 + offset);
      expect(seriesOf(s, `ipvs_destination_${suffix}`)).toHaveLength(5);
    }
    expect(valueOf(s, 'ipvs_destination_weight', { ...tcp, destination: '198.51.100.1:80' })).toBe(3);
    expect(valueOf(s, 'ipvs_destination_weight', { ...tcp, destination: '198.51.100.2:8080' })).toBe(0);
    expect(valueOf(s, 'ipvs_destination_connections_active', { ...tcp, destination: '198.51.100.1:80' })).toBe(4);
    expect(valueOf(s, 'ipvs_destination_connections_inactive', { ...tcp, destination: '198.51.100.1:80' })).toBe(5);
    expect(valueOf(s, 'ipvs_destination_connections_persistent', { ...tcp, destination: '198.51.100.1:80' })).toBe(6);
    expect(valueOf(s, 'ipvs_service_weight', tcp)).toBe(3);
    expect(valueOf(s, 'ipvs_service_connections_active', tcp)).toBe(5);
    expect(valueOf(s, 'ipvs_service_connections_inactive', tcp)).toBe(7);
    expect(valueOf(s, 'ipvs_service_destinations', tcp)).toBe(2);
    expect(valueOf(s, 'ipvs_service_destinations', { service: 'sctp 192.0.2.2:9' })).toBe(0);
    expect(valueOf(s, 'ipvs_services')).toBe(5);
    expect(valueOf(s, 'ipvs_connections_per_second')).toBe(4);
    expect(valueOf(s, 'ipvs_incoming_packets_per_second')).toBe(0x1FB3C);
    expect(valueOf(s, 'ipvs_outgoing_packets_per_second')).toBe(0);
    expect(valueOf(s, 'ipvs_incoming_bytes_per_second')).toBe(0x1282A8F);
    expect(valueOf(s, 'ipvs_outgoing_bytes_per_second')).toBe(0);
  });

  it("report node_exporter's ipvs collector exactly: names, help, types, labels (fwmark, IPv6, SCTP), summed coinciding backends", async () => {
    const text = await createMetrics({ ipvs }).scrape();
    const s = parseSamples(text);
    // The values node_exporter's e2e-output.txt gives for that fixture.
    expect(valueOf(s, 'node_ipvs_connections_total')).toBe(2.3765872e+07);
    expect(valueOf(s, 'node_ipvs_incoming_packets_total')).toBe(3.811989221e+09);
    expect(valueOf(s, 'node_ipvs_outgoing_packets_total')).toBe(0);
    expect(valueOf(s, 'node_ipvs_incoming_bytes_total')).toBe(8.9991519156915e+13);
    expect(valueOf(s, 'node_ipvs_outgoing_bytes_total')).toBe(0);
    const backend = (l: Record<string, string>) => ({ local_address: '', local_port: '0', local_mark: '', ...l });
    const tcp1 = backend({ local_address: '192.0.2.1', local_port: '80', proto: 'TCP', remote_address: '198.51.100.1', remote_port: '80' });
    const tcp2 = backend({ local_address: '192.0.2.1', local_port: '80', proto: 'TCP', remote_address: '198.51.100.2', remote_port: '8080' });
    const udp6 = backend({ local_address: '2001:db8::10', local_port: '53', proto: 'UDP', remote_address: '2001:db8::11', remote_port: '53' });
    const fwm = backend({ local_mark: '10001000', proto: 'FWM', remote_address: '198.51.100.3', remote_port: '3306' });
    expect(seriesOf(s, 'node_ipvs_backend_weight').map((x) => x.labels)).toEqual(expect.arrayContaining([tcp1, tcp2, udp6, fwm]));
    expect(seriesOf(s, 'node_ipvs_backend_weight')).toHaveLength(4);
    expect(valueOf(s, 'node_ipvs_backend_weight', tcp1)).toBe(3);
    expect(valueOf(s, 'node_ipvs_backend_connections_active', tcp1)).toBe(4);
    expect(valueOf(s, 'node_ipvs_backend_connections_inactive', tcp1)).toBe(5);
    expect(valueOf(s, 'node_ipvs_backend_connections_inactive', udp6)).toBe(9);
    // The IPv4 and IPv6 services of mark 0x10001000 share node_exporter's labels: summed, as it sums them.
    expect(valueOf(s, 'node_ipvs_backend_weight', fwm)).toBe(120);
    expect(valueOf(s, 'node_ipvs_backend_connections_active', fwm)).toBe(385);
    expect(valueOf(s, 'node_ipvs_backend_connections_inactive', fwm)).toBe(6);
    const f = families(text);
    expect(Object.fromEntries([...f].filter(([name]) => name.startsWith('node_ipvs_')))).toEqual({
      node_ipvs_backend_connections_active: { help: 'The current active connections by local and remote address.', type: 'gauge' },
      node_ipvs_backend_connections_inactive: { help: 'The current inactive connections by local and remote address.', type: 'gauge' },
      node_ipvs_backend_weight: { help: 'The current backend weight by local and remote address.', type: 'gauge' },
      node_ipvs_connections_total: { help: 'The total number of connections made.', type: 'counter' },
      node_ipvs_incoming_bytes_total: { help: 'The total amount of incoming data.', type: 'counter' },
      node_ipvs_incoming_packets_total: { help: 'The total number of incoming packets.', type: 'counter' },
      node_ipvs_outgoing_bytes_total: { help: 'The total amount of outgoing data.', type: 'counter' },
      node_ipvs_outgoing_packets_total: { help: 'The total number of outgoing packets.', type: 'counter' },
    });
    for (const [name, { type }] of f) {
      if (name.endsWith('_total')) expect(type, name).toBe('counter');
      else if (name.startsWith('ipvs_')) expect(type, name).toBe('gauge');
    }
  });

  it('read the kernel once per scrape (one getTable, one ip_vs_stats), with the scrape deadline, in the client\'s namespace', async () => {
    const m = createMetrics({ ipvs, timeout: 1234 });
    await m.scrape();
    expect(calls.map((c) => c.method)).toEqual(['getTable']);
    expect(timeouts[0]).toBeLessThanOrEqual(1234);
    expect(timeouts[0]).toBeGreaterThan(1000);
    expect(procNet.calls).toEqual([{ netns: null, names: ['ip_vs_stats'], timeout: 1234 }]);
    // Concurrent scrapes share one reading.
    const [a, b] = await Promise.all([m.scrape(), m.scrape()]);
    expect(a).toBe(b);
    expect(calls).toHaveLength(2);
    expect(procNet.calls).toHaveLength(2);
  });

  it('leave no stale series: a service or real server gone from the kernel is gone from the next scrape', async () => {
    const m = createMetrics({ ipvs });
    const first = parseSamples(await m.scrape());
    expect(seriesOf(first, 'ipvs_destination_weight')).toHaveLength(5);
    answers.table = table().slice(0, 1);
    answers.table[0].destinations.pop();
    const second = parseSamples(await m.scrape());
    for (const name of ['ipvs_destination_weight', 'ipvs_destination_connections_total', 'node_ipvs_backend_weight']) {
      expect(seriesOf(second, name), name).toHaveLength(1);
    }
    expect(seriesOf(second, 'ipvs_service_connections_total').map((x) => x.labels)).toEqual([{ service: 'tcp 192.0.2.1:80' }]);
    expect(valueOf(second, 'ipvs_services')).toBe(1);
    answers.table = [];
    const empty = parseSamples(await m.scrape());
    expect(seriesOf(empty, 'ipvs_service_connections_total')).toEqual([]);
    expect(valueOf(empty, 'ipvs_services')).toBe(0);
  });

  it('render one metric per event-loop turn, so a big table does not stall other work for the whole scrape', async () => {
    const m = createMetrics({ ipvs });
    let turns = 0;
    let done = false;
    const count = () => {
      turns++;
      if (!done) setImmediate(count);
    };
    setImmediate(count);
    const text = await m.scrape();
    done = true;
    const metricsRendered = families(text).size;
    expect(metricsRendered).toBeGreaterThan(40);
    // Every metric took a turn of its own: other callbacks ran between them.
    expect(turns).toBeGreaterThanOrEqual(metricsRendered);
  });

  it('give counters past 2^53 as the nearest double, and the exact value below', async () => {
    const t = table();
    t[0].service.stats = { ...stats(0), conns: 2n ** 53n - 1n, inBytes: 2n ** 64n - 1n };
    answers.table = t;
    const s = parseSamples(await createMetrics({ ipvs }).scrape());
    expect(valueOf(s, 'ipvs_service_connections_total', { service: 'tcp 192.0.2.1:80' })).toBe(2 ** 53 - 1);
    expect(valueOf(s, 'ipvs_service_incoming_bytes_total', { service: 'tcp 192.0.2.1:80' })).toBe(2 ** 64);
  });
});

describe('failures', () => {
  it('a kernel error rejects the scrape with the IpvsError', async () => {
    const m = createMetrics({ ipvs });
    procNet.error = Object.assign(new Error('no file'), { errno: 2, stage: 'opening /proc/net/ip_vs_stats' });
    const err = await m.scrape().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsError);
    expect(err).toMatchObject({ code: 'ENOENT', operation: 'globalStats', object: '/proc/net/ip_vs_stats' });
    procNet.error = null;
    procNet.text = 'garbage\n';
    await expect(m.scrape()).rejects.toMatchObject({ code: 'EPROTO', operation: 'globalStats' });
    // And it recovers: the next scrape reads again.
    procNet.text = statsFile([1n, 2n, 3n, 4n, 5n], [0n, 0n, 0n, 0n, 0n]);
    expect(valueOf(parseSamples(await m.scrape()), 'node_ipvs_connections_total')).toBe(1);
  });

  it('parseGlobalStats reads the kernel text and refuses anything else', () => {
    expect(parseGlobalStats(statsFile([1n, 2n, 3n, 0xFFFFFFFFFFFFFFFFn, 5n], [6n, 7n, 8n, 9n, 10n]))).toEqual({
      conns: 1n, inPackets: 2n, outPackets: 3n, inBytes: 0xFFFFFFFFFFFFFFFFn, outBytes: 5n, cps: 6n, inPps: 7n, outPps: 8n, inBps: 9n, outBps: 10n,
    });
    for (const bad of ['', statsFile([1n, 2n, 3n, 4n, 5n], [0n, 0n, 0n, 0n, 0n]).split('\n').slice(0, 3).join('\n'), '1 2 3 4\n1 2 3 4\n']) {
      expect(() => parseGlobalStats(bad), JSON.stringify(bad)).toThrow(IpvsError);
    }
  });
});

describe('options', () => {
  it('are checked before anything is registered, naming the field', () => {
    const registry = new Registry();
    const bad: [unknown, string][] = [
      [undefined, 'options'], [{}, 'options.ipvs'], [{ ipvs: {} }, 'options.ipvs'], [{ ipvs, registry: {} }, 'options.registry'],
      [{ ipvs, timeout: 0 }, 'options.timeout'], [{ ipvs, timeout: '5s' }, 'options.timeout'], [{ ipvs, health: 1 }, 'options.health'],
      [{ ipvs, health: { states: () => [] } }, 'options.health.on'], [{ ipvs, colour: 1 }, 'options.colour'],
      [JSON.parse('{"__proto__": 1}'), 'options.__proto__'], [{ ipvs, constructor: 1 }, 'options.constructor'],
    ];
    for (const [options, field] of bad) {
      let err: unknown;
      try {
        createMetrics(options as never);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(IpvsValidationError);
      expect((err as IpvsValidationError).field, JSON.stringify(options)).toBe(field);
    }
    // An inherited ipvs is not one the caller gave.
    expect(() => createMetrics(Object.create({ ipvs }) as never)).toThrow(IpvsValidationError);
    expect(registry.getMetricsAsArray()).toEqual([]);
  });

  it('registers on the registry given; close() takes its metrics off and leaves the others', async () => {
    const registry = new Registry();
    registry.registerMetric(new (await import('prom-client')).Gauge({ name: 'app_up', help: 'the app', registers: [] }));
    const m = createMetrics({ ipvs, registry });
    expect(m.registry).toBe(registry);
    expect(await registry.metrics()).toMatch(/^ipvs_destination_weight\{/m);
    m.close();
    m.close();
    expect(registry.getMetricsAsArray().map((x) => x.name)).toEqual(['app_up']);
    // The same registry takes a new set (a director that rebuilds its metrics)...
    createMetrics({ ipvs, registry });
    expect(registry.getSingleMetric('node_ipvs_backend_weight')).toBeDefined();
    // ...but not a second one beside it: refused whole, nothing half registered.
    const count = registry.getMetricsAsArray().length;
    expect(() => createMetrics({ ipvs, registry })).toThrow(expect.objectContaining({ field: 'options.registry' }));
    const clash = new Registry();
    clash.registerMetric(new (await import('prom-client')).Gauge({ name: 'ipvs_destination_weight', help: 'theirs', registers: [] }));
    expect(() => createMetrics({ ipvs, registry: clash })).toThrow(/ipvs_destination_weight/);
    expect(clash.getMetricsAsArray()).toHaveLength(1);
    expect(registry.getMetricsAsArray()).toHaveLength(count);
  });
});
