/** The batch primitive: many operations per sendmsg, each with its own result. */
import { describe, expect, it } from 'vitest';
import type { BatchOperation, BatchResult } from '../../lib';
import { IpvsPartialError, IpvsValidationError } from '../../lib';
import { useNamespace } from '../helpers/kernel';

const ctx = useNamespace('batch', { flushEach: true });

const svc = (i: number) => ({ protocol: 'tcp' as const, address: '192.0.2.50', port: 1000 + i });
const udp = (i: number) => ({ protocol: 'udp' as const, address: '192.0.2.50', port: 1000 + i });

describe('batch', () => {
  it('applies 1000 services × 4 destinations and matches every ACK to its operation', async () => {
    const ops: BatchOperation[] = [];
    for (let i = 0; i < 1000; i++) {
      ops.push({ op: 'addService', service: svc(i), options: { scheduler: 'wrr' } });
      for (let d = 0; d < 4; d++)
        ops.push({ op: 'addDestination', service: svc(i), destination: { address: `198.51.100.${10 + d}`, port: 80 }, options: { forwarding: 'masq', weight: d + 1 } });
    }
    const results = await ctx.ipvs.batch(ops);
    expect(results.length).toBe(5000);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const saved = ctx.ns.saved();
    expect(saved.length).toBe(5000);
    expect(saved).toContain('-a -t 192.0.2.50:1999 -r 198.51.100.13:80 -m -w 4');
  });

  it('reports each failure at its own position; the rest take effect', async () => {
    const results = await ctx.ipvs.batch([
      { op: 'addService', service: svc(1), options: { scheduler: 'rr' } },
      { op: 'addService', service: svc(1), options: { scheduler: 'rr' } },
      { op: 'addDestination', service: svc(2), destination: { address: '198.51.100.1', port: 80 }, options: { forwarding: 'masq' } },
      { op: 'addService', service: svc(3), options: { scheduler: 'nosuch' } },
      { op: 'addDestination', service: svc(1), destination: { address: '198.51.100.1', port: 80 }, options: { forwarding: 'masq' } },
      { op: 'deleteDestination', service: svc(1), destination: { address: '198.51.100.2', port: 80 } },
      { op: 'updateService', service: svc(1), options: { scheduler: 'lc' } },
      { op: 'updateDestination', service: svc(1), destination: { address: '198.51.100.1', port: 80 }, options: { weight: 5 } },
      { op: 'updateDestination', service: svc(1), destination: { address: '198.51.100.9', port: 80 }, options: { weight: 5 } },
    ]);
    const summary = results.map((r) => (r.ok ? 'ok' : `${r.error.code}:${r.applied}`));
    expect(summary).toEqual(['ok', 'EEXIST:no', 'ESRCH:no', 'ENOENT:no', 'ok', 'ENOENT:no', 'ok', 'ok', 'ENOENT:no']);
    expect(ctx.ns.saved()).toEqual(['-A -t 192.0.2.50:1001 -s lc', '-a -t 192.0.2.50:1001 -r 198.51.100.1:80 -m -w 5']);
  });

  it('updates patch the state left by earlier operations of the same batch', async () => {
    const results = await ctx.ipvs.batch([
      { op: 'addService', service: udp(5), options: { scheduler: 'sh', persistence: 100 } },
      { op: 'updateService', service: udp(5), options: { onePacket: true } },
      { op: 'addDestination', service: udp(5), destination: { address: '198.51.100.1', port: 80 }, options: { forwarding: 'masq', weight: 2, upperThreshold: 9 } },
      { op: 'updateDestination', service: udp(5), destination: { address: '198.51.100.1', port: 80 }, options: { weight: 3 } },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(ctx.ns.saved()).toEqual(['-A -u 192.0.2.50:1005 -s sh -p 100 -o', '-a -u 192.0.2.50:1005 -r 198.51.100.1:80 -m -w 3']);
    expect(ctx.ns.ipvsadm('-L', '-n', '--thresholds')).toMatch(/198\.51\.100\.1:80\s+9\s+0\s/);
  });

  it('validates everything before sending anything', async () => {
    const err = await ctx.ipvs.batch([
      { op: 'addService', service: svc(1) },
      { op: 'addDestination', service: svc(1), destination: { address: '198.51.100.1', port: 80 }, options: { weight: -1 } },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect((err as IpvsValidationError).field).toBe('operations[1].options.weight');
    expect(ctx.ns.saved()).toEqual([]);
  });

  // Issue 8, item 7: a batch cut short rejects, and the rejection says what took effect.
  const adds = (count: number, address = '192.0.2.60'): BatchOperation[] =>
    Array.from({ length: count }, (_, i) => ({ op: 'addService', service: { protocol: 'tcp', address, port: i + 1 }, options: { scheduler: 'rr' } }));

  function tally(results: readonly BatchResult[]) {
    const t = { ok: 0, unknown: 0, notSent: 0, refused: 0 };
    for (const r of results) {
      if (r.ok) t.ok++;
      else if (r.applied === 'unknown') t.unknown++;
      else if (r.sent === false) t.notSent++;
      else t.refused++;
    }
    return t;
  }

  it('close() while queued: IpvsPartialError, every operation not sent', async () => {
    const client = await ctx.ns.open();
    const running = client.listServices().catch(() => null);
    const queued = client.batch(adds(3));
    client.close();
    const err = await queued.catch((e: unknown) => e);
    await running;
    expect(err).toBeInstanceOf(IpvsPartialError);
    const cut = err as IpvsPartialError<BatchResult>;
    expect([cut.code, cut.operation, cut.applied, cut.unknown, cut.notSent]).toEqual(['ECANCELED', 'batch', 0, 0, 3]);
    expect(cut.results.map((r) => !r.ok && [r.applied, r.sent, r.error.code, r.error.operation])).toEqual(
      Array(3).fill(['no', false, 'ECANCELED', 'addService']));
    expect(ctx.ns.saved()).toEqual([]);
  });

  it('close() mid-send: IpvsPartialError with every result; the kernel holds the ok ones (and perhaps the unknown)', async () => {
    const client = await ctx.ns.open();
    const pending = client.batch(adds(20_000), { timeout: 120_000 });
    // Closed once the kernel holds the first service (read on another socket): the batch is sending
    // then, and has most of its parts to go. A fixed delay was not enough: on a busy guest the timer
    // fired after the whole batch had been applied.
    let settled = false;
    void pending.then(() => { settled = true; }, () => { settled = true; });
    const first = { protocol: 'tcp' as const, address: '192.0.2.60', port: 1 };
    while (!settled && !(await ctx.ipvs.getService(first).then(() => true, () => false))) await new Promise((r) => setImmediate(r));
    client.close();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    const cut = err as IpvsPartialError<BatchResult>;
    expect(cut.code).toBe('ECANCELED');
    expect(cut.results).toHaveLength(20_000);
    const t = tally(cut.results);
    expect([t.ok, t.unknown, t.notSent, t.refused]).toEqual([cut.applied, cut.unknown, cut.notSent, 0]);
    expect(t.notSent).toBeGreaterThan(0);
    // Counted by the library's own dump (async): ipvsadm -S of up to 20,000 services blocks this
    // worker for tens of seconds under the sandbox kernel, past the test's limit.
    const inKernel = (await ctx.ipvs.listServices()).length;
    expect(inKernel).toBeGreaterThanOrEqual(t.ok);
    expect(inKernel).toBeLessThanOrEqual(t.ok + t.unknown);
  });
});

describe('updates never patch an operation that failed (issue 8, item 5)', () => {
  const S = { protocol: 'tcp' as const, address: '192.0.2.60', port: 80 };
  const D = { address: '198.51.100.60', port: 80 };

  it('S (wlc) with D (route, weight 1) exists: the failed adds leave no trace, the updates patch what the kernel held', async () => {
    await ctx.ipvs.addService(S, { scheduler: 'wlc' });
    await ctx.ipvs.addDestination(S, D, { forwarding: 'route', weight: 1 });
    const results = await ctx.ipvs.batch([
      { op: 'addService', service: S, options: { scheduler: 'rr', persistence: 300 } },
      { op: 'updateService', service: S, options: { scheduler: 'sh' } },
      { op: 'addDestination', service: S, destination: D, options: { forwarding: 'masq', weight: 5 } },
      { op: 'updateDestination', service: S, destination: D, options: { weight: 2 } },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : `${r.error.code}:${r.applied}`))).toEqual(['EEXIST:no', 'ok', 'EEXIST:no', 'ok']);
    expect(ctx.ns.saved()).toEqual(['-A -t 192.0.2.60:80 -s sh', '-a -t 192.0.2.60:80 -r 198.51.100.60:80 -g -w 2']);
  });

  it('when the adds take effect, the updates patch them', async () => {
    const results = await ctx.ipvs.batch([
      { op: 'addService', service: S, options: { scheduler: 'rr', persistence: 300 } },
      { op: 'updateService', service: S, options: { scheduler: 'sh' } },
      { op: 'addDestination', service: S, destination: D, options: { forwarding: 'masq', weight: 5 } },
      { op: 'updateDestination', service: S, destination: D, options: { weight: 2 } },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(ctx.ns.saved()).toEqual(['-A -t 192.0.2.60:80 -s sh -p 300', '-a -t 192.0.2.60:80 -r 198.51.100.60:80 -m -w 2']);
  });

  it('a failed delete: the update after it is sent and patches the service the kernel still holds', async () => {
    await ctx.ipvs.addService(S, { scheduler: 'wlc', persistence: 100 });
    const other = { ...S, port: 81 };
    const results = await ctx.ipvs.batch([
      { op: 'deleteService', service: other },
      { op: 'addService', service: other, options: { scheduler: 'rr' } },
      { op: 'updateService', service: other, options: { persistence: 60 } },
      { op: 'addService', service: S, options: { scheduler: 'lc' } },
      { op: 'updateService', service: S, options: { onePacket: false } },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ESRCH', 'ok', 'ok', 'EEXIST', 'ok']);
    expect(ctx.ns.saved()).toEqual(['-A -t 192.0.2.60:80 -s wlc -p 100', '-A -t 192.0.2.60:81 -s rr -p 60']);
  });
});
