/** The client's life: concurrency, deadlines, closing, namespaces going away, a clean process exit. */
import { spawnAsync } from '../helpers/child';
import { describe, expect, it } from 'vitest';
import { Ipvs, IpvsError } from '../../lib';
import { settled, TestNamespace, useNamespace } from '../helpers/kernel';

const ctx = useNamespace('life');

const svc = (port: number) => ({ protocol: 'tcp' as const, address: '192.0.2.7', port });

describe('lifecycle', () => {
  it('settles 1000 concurrent calls, each with its own outcome', async () => {
    await ctx.ipvs.flush();
    const calls = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? ctx.ipvs.addService(svc(1 + (i >> 1)), { scheduler: 'rr' }) : ctx.ipvs.getService(svc(1 + (i >> 1))));
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await ctx.ipvs.listServices()).length).toBe(500);
    // Same again: every add now fails with EEXIST, every get still succeeds.
    const again = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? ctx.ipvs.addService(svc(1 + (i >> 1))) : ctx.ipvs.getService(svc(1 + (i >> 1)))));
    expect(again.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code))
      .toEqual(Array(500).fill('EEXIST'));
    // ipvsadm's dump can repeat entries when another namespace changes meanwhile (other test
    // files run in parallel): the kernel resumes dumps by position in a table of all namespaces.
    expect(new Set(ctx.ns.saved()).size).toBe(500);
  });

  it('close() rejects pending calls with ECANCELED and later calls too; it is idempotent', async () => {
    const client = await ctx.ns.open();
    const calls = Array.from({ length: 200 }, () => client.listServices());
    client.close();
    client.close();
    const [first, ...queued] = await Promise.allSettled(calls);
    // The first call was already handed to a worker thread: when the kernel answered before
    // close() it keeps that answer (a change the kernel made is never reported as cancelled).
    if (first.status === 'rejected') expect(first.reason.code).toBe('ECANCELED');
    else expect(first.value).toHaveLength((await ctx.ipvs.listServices()).length);  // a whole answer
    expect(queued.length).toBe(199);
    for (const r of queued) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(IpvsError);
      expect((r as PromiseRejectedResult).reason.code).toBe('ECANCELED');
    }
    await expect(client.listServices()).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('a call past its deadline rejects with ETIMEDOUT and the client keeps working', async () => {
    await ctx.ipvs.flush();
    const added = await ctx.ipvs.batch(Array.from({ length: 3000 }, (_, i) => ({ op: 'addService' as const, service: svc(1 + i), options: { scheduler: 'rr' } })), { timeout: 60_000 });
    expect(added.filter((r) => !r.ok).map((r) => !r.ok && `${r.error.code} ${r.applied}: ${r.error.message}`)).toEqual([]);
    // A 3000-service dump cannot finish in 1 ms in this kernel.
    await expect(ctx.ipvs.listServices({ timeout: 1 })).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'listServices' });
    // The socket was replaced: no stale dump, no EBUSY, a complete answer.
    const all = await settled(() => ctx.ipvs.listServices());
    expect(all.length).toBe(3000);
    expect(new Set(all.map((s) => ('port' in s.key ? s.key.port : 0))).size).toBe(3000);
    expect((await ctx.ipvs.info()).version).toBe('1.2.1');
    // The client's own default deadline applies when a call gives none.
    const hasty = await ctx.ns.open(1);
    try {
      await expect(hasty.listServices()).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect((await settled(() => hasty.listServices({ timeout: 30_000 }))).length).toBe(3000);
    } finally {
      hasty.close();
    }
    await ctx.ipvs.flush();
  });

  it('a client keeps its namespace alive after `ip netns delete`', async () => {
    const gone = new TestNamespace('gone');
    const client = await gone.open();
    await client.addService(svc(80), { scheduler: 'rr' });
    gone.delete();
    // The socket holds the namespace: calls still reach that (now unnamed) table.
    expect((await client.listServices()).length).toBe(1);
    client.close();
    await expect(Ipvs.open({ netns: gone.name })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('clients in different namespaces see different tables', async () => {
    const other = new TestNamespace('other');
    const client = await other.open();
    try {
      await client.addService({ protocol: 'udp', address: '203.0.113.9', port: 9 }, { scheduler: 'rr' });
      expect(other.saved()).toEqual(['-A -u 203.0.113.9:9 -s rr']);
      expect(ctx.ns.saved()).not.toContain('-A -u 203.0.113.9:9 -s rr');
      expect(await ctx.ipvs.getService({ protocol: 'udp', address: '203.0.113.9', port: 9 }).catch((e) => e.code)).toBe('ESRCH');
    } finally {
      client.close();
      other.delete();
    }
  });

  it('a process with an open idle client exits by itself', async () => {
    const script = `
      const { Ipvs } = require(${JSON.stringify(require.resolve('../../dist'))});
      Ipvs.open({ netns: ${JSON.stringify(ctx.ns.name)} }).then(async (c) => { await c.info(); console.log('idle'); });
    `;
    const started = Date.now();
    const r = await spawnAsync(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('idle');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('worker threads', () => {
  it('terminating a worker with a client mid-call neither crashes nor hangs the process', async () => {
    const { Worker } = await import('node:worker_threads');
    // Ten times, each cut at a slightly different point of the calls in flight.
    for (let round = 0; round < 10; round++) {
      const worker = new Worker(`
        const { parentPort } = require('node:worker_threads');
        const { Ipvs } = require(${JSON.stringify(require.resolve('../../dist'))});
        Ipvs.open({ netns: ${JSON.stringify(ctx.ns.name)} }).then((c) => {
          // Keep calls in flight until terminated, so the worker never exits by itself.
          setInterval(() => { for (let i = 0; i < 50; i++) c.listServices().catch(() => {}); }, 1);
          parentPort.postMessage('busy');
        });
      `, { eval: true });
      await new Promise<void>((resolve) => worker.once('message', () => resolve()));
      await new Promise((r) => setTimeout(r, round * 3));
      expect(await worker.terminate()).toBe(1);
    }
    // This process's own client still works after the other environment was torn down.
    expect((await ctx.ipvs.info()).version).toBe('1.2.1');
  });
});
