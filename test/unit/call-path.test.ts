/**
 * The client's one call path (lib/ipvs.ts #run): every call is queued, runs under its deadline and
 * reports like the others; settings (timeouts, daemons) are written through the batch path; the
 * table is read in one native call. Against a fake addon client (test/helpers/fake-binding.ts).
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsError } from '../../lib';
import { CMD } from '../../lib/constants';
import { answers, calls, resetFake, tableStats, timeouts } from '../helpers/fake-binding';

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  return { ...real, native: () => ({ ...real.native(), Client: Fake }) };
});

const SVC = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const STATS = {
  conns: 7n, inPackets: 1n, outPackets: 2n, inBytes: 3n, outBytes: 4n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n,
};

let ipvs: Ipvs;
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(resetFake);

describe('settings take the batch path', () => {
  const writes: [string, (o: { timeout: number }) => Promise<void>][] = [
    ['addService', (o) => ipvs.addService(SVC, { scheduler: 'rr' }, o)],
    ['setTimeouts', (o) => ipvs.setTimeouts({ tcp: 900 }, o)],
    ['startDaemon', (o) => ipvs.startDaemon({ state: 'master', interface: 'eth0' }, o)],
    ['stopDaemon', (o) => ipvs.stopDaemon('backup', o)],
  ];

  it.each(writes)('%s still queued at its deadline rejects as a batch of one does: not sent, the queue wait as its cause', async (operation, call) => {
    answers.delays.push(200);
    const listing = ipvs.listServices();
    const err = await call({ timeout: 30 }).then(() => null, (e: unknown) => e);
    await listing;
    expect(err).toBeInstanceOf(IpvsError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', operation });
    expect((err as IpvsError).cause).toBeInstanceOf(IpvsError);
    expect((err as IpvsError).cause).toMatchObject({ code: 'ETIMEDOUT', operation });
    expect(((err as IpvsError).cause as Error).message).toMatch(/was not sent: its deadline of 30 ms passed while it waited behind other calls/);
    expect(calls.map((c) => c.method)).toEqual(['query']); // only the listing went out
  });

  it('a setting the kernel refuses names its object, like a table change', async () => {
    answers.execute = (reqs) => new Int32Array(reqs.length).fill(17);
    await expect(ipvs.startDaemon({ state: 'master', interface: 'eth0' })).rejects.toMatchObject({
      code: 'EEXIST', operation: 'startDaemon', object: 'master sync daemon',
    });
    expect(calls).toEqual([{ method: 'execute', requests: [expect.objectContaining({ cmd: CMD.NEW_DAEMON })] }]);
  });
});

describe('the table in one native call', () => {
  it('getTable() asks the addon once, with stats, and converts what it gets', async () => {
    answers.table = [{
      service: { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'rr', persistenceEngine: '', flags: 0, timeout: 0, netmask: 0xffffffff, stats: STATS },
      destinations: [{
        family: 2, address: '198.51.100.1', port: 80, forwarding: 0, weight: 2, upperThreshold: 0, lowerThreshold: 0,
        activeConns: 1, inactiveConns: 0, persistentConns: 0, stats: STATS,
      }],
    }];
    const table = await ipvs.getTable({ timeout: 500 });
    expect(calls.map((c) => c.method)).toEqual(['getTable']);
    expect(tableStats).toEqual([true]);
    expect(timeouts[0]).toBeLessThanOrEqual(500);
    expect(table).toHaveLength(1);
    expect(table[0]).toMatchObject({ key: SVC, stats: { conns: 7n }, config: { scheduler: 'rr' } });
    expect(table[0].destinations).toEqual([expect.objectContaining({
      key: { address: '198.51.100.1', port: 80 }, config: expect.objectContaining({ forwarding: 'masq', weight: 2 }),
      connections: { active: 1, inactive: 0, persistent: 0 },
    })]);
  });

  it('getTable({ stats: false }) asks for the table without stats; connections are still there; a bad value is refused', async () => {
    answers.table = [{
      service: { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'rr', persistenceEngine: '', flags: 0, timeout: 0, netmask: 0xffffffff },
      destinations: [{
        family: 2, address: '198.51.100.1', port: 80, forwarding: 0, weight: 2, upperThreshold: 0, lowerThreshold: 0,
        activeConns: 3, inactiveConns: 1, persistentConns: 0,
      }],
    }];
    const table = await ipvs.getTable({ stats: false });
    expect(tableStats).toEqual([false]);
    expect(table[0].stats.conns).toBe(0n);
    expect(table[0].destinations[0].connections).toEqual({ active: 3, inactive: 1, persistent: 0 });
    await expect(ipvs.getTable({ stats: 'no' as never })).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.stats' });
    expect(tableStats).toEqual([false]);
  });

  it('save() asks for the table without stats', async () => {
    answers.table = [{
      service: { family: 2, protocol: 6, address: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'rr', persistenceEngine: '', flags: 0, timeout: 0, netmask: 0xffffffff },
      destinations: [],
    }];
    expect(await ipvs.save()).toBe('-A -t 192.0.2.1:80 -s rr\n');
    expect(calls.map((c) => c.method)).toEqual(['getTable']);
    expect(tableStats).toEqual([false]);
  });
});
