import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsError, IpvsPartialError, type BatchResult } from '../../lib';
import { Deadline } from '../../lib/call';
import { CMD } from '../../lib/constants';
import { SerialQueue } from '../../lib/queue';
import { answers, calls, resetFake, timeouts } from '../helpers/fake-binding';

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  return { ...real, native: () => ({ ...real.native(), Client: Fake }) };
});

const SVC = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('SerialQueue', () => {
  it('runs one task at a time, in order', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((n) => q.run(task(n), () => new Error('cancelled'))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.size).toBe(0);
  });

  it('a failing task does not stop the queue', async () => {
    const q = new SerialQueue();
    const a = q.run(async () => { throw new Error('boom'); }, () => new Error('cancelled'));
    const b = q.run(async () => 'fine', () => new Error('cancelled'));
    await expect(a).rejects.toThrow('boom');
    await expect(b).resolves.toBe('fine');
  });

  it('close() cancels what has not started, lets the running task finish, refuses new tasks', async () => {
    const q = new SerialQueue();
    let release!: () => void;
    const first = q.run(() => new Promise<string>((r) => { release = () => r('first'); }), () => new Error('cancelled 1'));
    const second = q.run(async () => 'second', () => new Error('cancelled 2'));
    await tick();
    q.close();
    await expect(second).rejects.toThrow('cancelled 2');
    release();
    await expect(first).resolves.toBe('first');
    await expect(q.run(async () => 'late', () => new Error('closed'))).rejects.toThrow('closed');
  });
});

describe('SerialQueue deadlines', () => {
  it('a task still queued at its deadline rejects then, never starts, and the queue goes on', async () => {
    const q = new SerialQueue();
    let release!: () => void;
    const first = q.run(() => new Promise<string>((r) => { release = () => r('first'); }), () => new Error('cancelled'));
    let started = false;
    const t0 = performance.now();
    const late = q.run(async () => { started = true; return 'late'; }, () => new Error('cancelled'), new Deadline(30), () => new Error('expired'));
    const third = q.run(async () => 'third', () => new Error('cancelled'));
    await expect(late).rejects.toThrow('expired');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(29);
    expect(waited).toBeLessThan(500);
    expect(q.size).toBe(2);
    release();
    await expect(first).resolves.toBe('first');
    await expect(third).resolves.toBe('third');
    expect(started).toBe(false);
    expect(q.size).toBe(0);
  });

  it('a task that starts before its deadline runs, and no timer outlives it', async () => {
    const q = new SerialQueue();
    const a = q.run(async () => { await tick(); return 'a'; }, () => new Error('cancelled'));
    const b = q.run(async () => 'b', () => new Error('cancelled'), new Deadline(10_000), () => new Error('expired'));
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
  });
});

describe('a call\'s deadline counts its wait in the client\'s queue (issue 8, item 10)', () => {
  let ipvs: Ipvs;
  beforeAll(async () => {
    ipvs = await Ipvs.open();
  });
  beforeEach(resetFake);

  it('getService({ timeout: 50 }) queued behind a 300 ms listing rejects at 50 ms, not sent', async () => {
    answers.delays.push(300);
    const t0 = performance.now();
    const listing = ipvs.listServices();
    const err = await ipvs.getService(SVC, { timeout: 50 }).then(() => null, (e: unknown) => e);
    const waited = performance.now() - t0;
    expect(err).toBeInstanceOf(IpvsError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', operation: 'getService', object: 'service tcp 192.0.2.1:80' });
    expect((err as IpvsError).message).toBe(
      'getService on service tcp 192.0.2.1:80 was not sent: its deadline of 50 ms passed while it waited behind other calls on this client');
    expect(waited).toBeGreaterThanOrEqual(49);
    expect(waited).toBeLessThan(250);
    await listing;
    expect(calls.map((c) => c.requests[0].cmd)).toEqual([CMD.GET_SERVICE]);
    expect(calls[0].requests[0].dump).toBe(true);
  });

  it('a call that starts late gets only what is left of its deadline', async () => {
    answers.delays.push(150);
    const first = ipvs.listServices();
    const second = ipvs.listServices({ timeout: 400 });
    await Promise.all([first, second]);
    expect(timeouts[0]).toBeGreaterThan(9_990);
    expect(timeouts[0]).toBeLessThanOrEqual(10_000);
    expect(timeouts[1]).toBeLessThanOrEqual(400 - 140);
    expect(timeouts[1]).toBeGreaterThan(0);
  });

  it('a batch whose deadline passes between its parts rejects with every result, the rest not sent', async () => {
    answers.delays.push(80);
    const err = await ipvs.batch([
      { op: 'addService', service: SVC, options: { scheduler: 'rr' } },
      { op: 'updateService', service: SVC, options: { scheduler: 'sh' } },
    ], { timeout: 40 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    const partial = err as IpvsPartialError<BatchResult>;
    expect(partial).toMatchObject({ code: 'ETIMEDOUT', applied: 1, unknown: 0, notSent: 1 });
    expect(partial.results[0]).toMatchObject({ ok: true });
    expect(partial.results[1]).toMatchObject({ ok: false, applied: 'no', sent: false, error: { code: 'ETIMEDOUT', operation: 'updateService' } });
    expect(calls.length).toBe(1);
  });
});
