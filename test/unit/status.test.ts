/**
 * ipvs.status() and node-ipvs status's output, against the fake addon client: the kernel's table
 * read beside apply's ownership record (owned services, drains and the time they have left).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsValidationError, type OwnershipRecord, type TableStatus } from '../../lib';
import { tableStatus } from '../../lib/apply/status';
import { duration, formatStatus, statusJson } from '../../lib/cli/status';
import { answers, calls, resetFake } from '../helpers/fake-binding';

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  return { ...real, native: () => ({ ...real.native(), Client: Fake }) };
});

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const OTHER = { protocol: 'udp', address: '192.0.2.9', port: 53 } as const;
const GONE = { protocol: 'tcp', address: '192.0.2.5', port: 443 } as const;
const ZERO = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };

const service = (address: string, protocol: number, port: number, scheduler = 'rr') =>
  ({ family: 2, protocol, address, port, fwmark: 0, scheduler, persistenceEngine: '', flags: 0, timeout: 0, netmask: 0xffffffff, stats: ZERO });
const dest = (address: string, weight: number, activeConns: number, inactiveConns: number) => ({
  family: 2, address, port: 80, forwarding: 0, weight, upperThreshold: 0, lowerThreshold: 0, activeConns, inactiveConns, persistentConns: 0, stats: ZERO,
});

/** The kernel: S (owned) with a serving and a draining destination, OTHER made by another tool. */
function kernel(draining = { active: 2, inactive: 1 }) {
  answers.table = [
    { service: service('192.0.2.1', 6, 80), destinations: [dest('198.51.100.2', 0, draining.active, draining.inactive), dest('198.51.100.1', 3, 5, 0)] },
    { service: service('192.0.2.9', 17, 53, 'wlc'), destinations: [dest('198.51.100.7', 1, 0, 4)] },
  ];
}

const SINCE = Date.UTC(2026, 0, 1, 12, 0, 0);
const record = (): OwnershipRecord => ({
  version: 1,
  services: [S, GONE],
  drains: [
    { service: S, destination: { address: '198.51.100.2', port: 80 }, since: SINCE },
    { service: S, destination: { address: '198.51.100.4', port: 80 }, since: SINCE }, // deleted since
  ],
});
const store = (r: unknown) => ({ load: async () => r as OwnershipRecord, save: async () => { throw new Error('status saved a record'); } });

let ipvs: Ipvs;
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(resetFake);

describe('ipvs.status()', () => {
  it('marks owned services and draining destinations from the record, with the time left', async () => {
    kernel();
    const file = join(mkdtempSync(join(tmpdir(), 'status-')), 'state.json');
    const since = Date.now() - 10_000;
    const r = record();
    r.drains[0].since = since;
    writeFileSync(file, JSON.stringify(r));
    const before = Date.now();
    const st = await ipvs.status({ ownership: { file }, drainTimeout: 60_000 });
    expect(calls.map((c) => c.method)).toEqual(['getTable']); // one reading, nothing written
    expect(st.at).toBeGreaterThanOrEqual(before);
    expect(st.services.map((s) => [s.key, s.owned])).toEqual([[S, true], [OTHER, false]]);
    const [draining, serving] = st.services[0].destinations;
    expect(serving.drain).toBeNull();
    expect(draining).toMatchObject({ key: { address: '198.51.100.2', port: 80 }, config: { weight: 0 }, connections: { active: 2, inactive: 1 } });
    expect(draining.drain).toEqual({ since, elapsed: st.at - since, timeoutLeft: 60_000 - (st.at - since), due: false });
    expect(st.services[1].destinations[0].drain).toBeNull();
    expect(st.missing).toEqual([GONE]);
    expect(st.drainsGone).toEqual([r.drains[1]]);
  });

  it('a drain with no connections left, or past its timeout, is due; no timeout given: none shown', async () => {
    kernel({ active: 0, inactive: 0 });
    const idle = await tableStatus(ipvs, { ownership: store(record()) }, 1000, () => SINCE + 5000);
    expect(idle.services[0].destinations[0].drain).toEqual({ since: SINCE, elapsed: 5000, timeoutLeft: null, due: true });
    kernel();
    const busy = await tableStatus(ipvs, { ownership: store(record()), drainTimeout: 5000 }, 1000, () => SINCE + 4999);
    expect(busy.services[0].destinations[0].drain).toMatchObject({ timeoutLeft: 1, due: false });
    const late = await tableStatus(ipvs, { ownership: store(record()), drainTimeout: 5000 }, 1000, () => SINCE + 5000);
    expect(late.services[0].destinations[0].drain).toMatchObject({ timeoutLeft: 0, due: true });
    // A wall clock stepped back before the drain's start: no negative ages.
    const back = await tableStatus(ipvs, { ownership: store(record()), drainTimeout: 5000 }, 1000, () => SINCE - 1);
    expect(back.services[0].destinations[0].drain).toMatchObject({ elapsed: 0, timeoutLeft: 5000 });
  });

  it('without a record (this client applied nothing), nothing is owned or draining', async () => {
    kernel();
    const st = await ipvs.status();
    expect(st.services.every((s) => !s.owned && s.destinations.every((d) => d.drain === null))).toBe(true);
    expect(st).toMatchObject({ missing: [], drainsGone: [] });
  });

  it('knows what apply on the same client recorded in memory', async () => {
    answers.table = [];
    const other = await Ipvs.open();
    await other.apply({ services: [{ service: S }] }); // adds S: recorded as owned in other's memory
    answers.table = [{ service: service('192.0.2.1', 6, 80), destinations: [] }];
    expect((await other.status()).services[0].owned).toBe(true);
    expect((await ipvs.status()).services[0].owned).toBe(false);
    other.close();
  });

  it('consistent reads until two readings agree', async () => {
    kernel();
    await ipvs.status({ consistent: true });
    expect(calls.map((c) => c.method)).toEqual(['getTable', 'getTable']);
  });

  it.each([
    [{ drainTimeout: -1 }, 'options.drainTimeout'],
    [{ drainTimeout: 1.5 }, 'options.drainTimeout'],
    [{ consistent: 'yes' }, 'options.consistent'],
    [{ timeout: 0 }, 'options.timeout'],
    [{ ownership: { file: '' } }, 'options.ownership.file'],
    [{ ownership: { load: 1 } }, 'options.ownership'],
    [{ prune: true }, 'options.prune'],
    [JSON.parse('{"__proto__": 1}'), 'options.__proto__'],
    [{ constructor: 1 }, 'options.constructor'],
  ])('refuses bad options %j before reading anything', async (options, field) => {
    const err = await ipvs.status(options as never).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect((err as IpvsValidationError).field).toBe(field);
    expect(calls).toEqual([]);
  });

  it.each([
    [{ version: 2, services: [], drains: [] }, 'record.version'],
    [{ version: 1, services: [{ protocol: 'tcp', address: 'x', port: 80 }], drains: [] }, 'record.services[0].address'],
    [{ version: 1, services: [], drains: [{ service: S, destination: { address: '198.51.100.2', port: 80 }, since: -5 }] }, 'record.drains[0].since'],
    [{ version: 1, services: [], drains: [], extra: 1 }, 'record.extra'],
  ])('a bad record (%j) is refused, naming its field, and the kernel is not read', async (bad, field) => {
    const err = await ipvs.status({ ownership: store(bad) }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect((err as IpvsValidationError).field).toBe(field);
    expect(calls).toEqual([]);
  });

  it('a record file that is not JSON names the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'status-')), 'state.json');
    writeFileSync(file, '{"version": 1,');
    await expect(ipvs.status({ ownership: { file } })).rejects.toMatchObject({ field: `ownership record ${file}` });
  });
});

describe('node-ipvs status output', () => {
  const read = async (connections?: { active: number; inactive: number }) => {
    kernel(connections);
    return tableStatus(ipvs, { ownership: store(record()), drainTimeout: 300_000 }, 1000, () => SINCE + 65_000);
  };

  it('is the listing, in ipvsadm order, with each service owned or not and each drain shown', async () => {
    const text = formatStatus(await read(), true);
    expect(text).toBe([
      '1 of 2 service(s) owned, 1 destination(s) draining',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  192.0.2.1:80 rr  owned',
      '  -> 198.51.100.1:80              Masq    3      5          0         ',
      '  -> 198.51.100.2:80              Masq    0      2          1  draining 1m05s (since 2026-01-01T12:00:00.000Z), 3m55s to the drain timeout',
      'UDP  192.0.2.9:53 wlc  not owned',
      '  -> 198.51.100.7:80              Masq    1      0          4         ',
      'missing tcp 192.0.2.5:443: owned, not in the kernel (an apply that declares it adds it again)',
      'drained tcp 192.0.2.1:80 -> 198.51.100.4:80: deleted (the next apply forgets it)',
      '',
    ].join('\n'));
  });

  it('says when a drain is due, and marks nothing without a record', async () => {
    const st = await read({ active: 0, inactive: 0 });
    expect(formatStatus(st, true)).toContain('  draining 1m05s (since 2026-01-01T12:00:00.000Z), 3m55s to the drain timeout: due, the next apply deletes it\n');
    const bare = formatStatus({ ...st, services: st.services.map((s) => ({ ...s, owned: false, destinations: s.destinations.map((d) => ({ ...d, drain: null })) })), missing: [], drainsGone: [] }, false);
    expect(bare.split('\n').slice(0, 4)).toEqual([
      'no ownership record (--state FILE): ownership and drains not known',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  192.0.2.1:80 rr',
    ]);
  });

  it('an empty table still shows the header', () => {
    const empty: TableStatus = { at: SINCE, services: [], missing: [], drainsGone: [] };
    expect(formatStatus(empty, true)).toBe('0 of 0 service(s) owned, 0 destination(s) draining\n' +
      'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n');
  });

  it('JSON: times as ISO 8601 and milliseconds, owned null without a record', async () => {
    const st = await read();
    const j = statusJson(st, '/var/lib/lb/state.json');
    expect(j.at).toBe('2026-01-01T12:01:05.000Z');
    expect(j.services[0].destinations.map((d) => d.drain)).toEqual([
      null,
      { since: '2026-01-01T12:00:00.000Z', elapsedMs: 65_000, timeoutLeftMs: 235_000, due: false },
    ]);
    expect(j.drainsGone).toEqual([{ service: S, destination: { address: '198.51.100.4', port: 80 }, since: '2026-01-01T12:00:00.000Z' }]);
    expect(statusJson(st, null).services.map((s) => s.owned)).toEqual([null, null]);
  });

  it('durations read at a glance', () => {
    expect([0, 999, 59_999, 60_000, 3_599_000, 3_600_000, 90_061_000].map(duration)).toEqual(['0s', '0s', '59s', '1m00s', '59m59s', '1h00m00s', '25h01m01s']);
  });
});
