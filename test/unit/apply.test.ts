/** ipvs.apply's logic against a fake client backed by the table model: writes counted, torn listings, drains, ownership. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants as os } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyTable } from '../../lib/apply';
import { FakeKernel } from '../helpers/fake-kernel';
import { consistentTable } from '../../lib/apply/consistent';
import { IpvsError, IpvsPartialError, IpvsValidationError } from '../../lib/errors';
import { Table, type DesiredTable } from '../../lib/index';
import type { BatchResult, ServiceEntry } from '../../lib/types';

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const T = { protocol: 'tcp', address: '192.0.2.2', port: 443 } as const;
const d = (n: number, weight = 1) => ({ destination: { address: `198.51.100.${n}`, port: 80 }, options: { forwarding: 'masq' as const, weight } });
const want = (...dests: ReturnType<typeof d>[]): DesiredTable => ({ services: [{ service: S, options: { scheduler: 'rr' }, destinations: dests }] });

const apply = (k: FakeKernel, desired: DesiredTable | Table, options?: object) => applyTable(k, desired, options, 10_000);

describe('apply', () => {
  it('sends the difference once; the second apply sends nothing', async () => {
    const k = new FakeKernel('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1');
    const first = await apply(k, want(d(1), d(2, 3)));
    expect(first.results.map((r) => [r.step.action, r.outcome])).toEqual([['add-destination', 'applied']]);
    expect(first.changed).toBe(true);
    const second = await apply(k, want(d(1), d(2, 3)));
    expect(second).toEqual({ plan: { steps: [] }, results: [], draining: [], changed: false });
    expect(k.writes.length).toBe(1);
  });

  it('dry run sends nothing', async () => {
    const k = new FakeKernel();
    const r = await apply(k, want(d(1)), { dryRun: true });
    expect(r.plan.steps.map((s) => s.action)).toEqual(['add-service', 'add-destination']);
    expect(k.writes).toEqual([]);
  });

  it('never touches a service it does not manage; prune removes only owned ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apply-'));
    const file = join(dir, 'state.json');
    const k = new FakeKernel('-A -t 192.0.2.9:80 -s rr');
    await apply(k, { services: [{ service: S }, { service: T }] }, { ownership: { file } });
    expect(JSON.parse(readFileSync(file, 'utf8')).services).toHaveLength(2);
    await apply(k, { services: [{ service: S }] }, { ownership: { file } }); // no prune: T stays
    expect(k.table.has(T)).toBe(true);
    const r = await apply(k, { services: [{ service: S }] }, { ownership: { file }, prune: true });
    expect(r.results.map((x) => [x.step.action, x.outcome])).toEqual([['remove-service', 'applied']]);
    expect(k.table.services().map((s) => (s.key as { address: string }).address)).toEqual(['192.0.2.1', '192.0.2.9']);
    expect(JSON.parse(readFileSync(file, 'utf8')).services).toEqual([S]);
  });

  it('prune without an ownership record is refused', async () => {
    await expect(apply(new FakeKernel(), want(), { prune: true })).rejects.toMatchObject({ field: 'options.ownership' });
  });

  it('an add meeting EEXIST for an object the listing missed is resolved, not a failure', async () => {
    const k = new FakeKernel('-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1');
    k.hide.add('192.0.2.1');
    const r = await apply(k, want(d(1, 4), d(2)));
    expect(r.results.map((x) => [x.step.action, x.outcome, x.error])).toEqual([
      ['add-service', 'existed', undefined],
      ['add-destination', 'existed', undefined],
      ['add-destination', 'applied', undefined],
      ['update-service', 'applied', undefined],
      ['update-destination', 'applied', undefined],
    ]);
    expect(k.table.equals(Table.fromObjects(want(d(1, 4), d(2))))).toBe(true);
  });

  it('drains a leaving destination until its connections end, then deletes it', async () => {
    const k = new FakeKernel();
    await apply(k, want(d(1), d(2, 5)));
    k.connections.set('198.51.100.2', { active: 1, inactive: 2 });
    const r = await apply(k, want(d(1)));
    expect(r.results.map((x) => [x.step.action, x.outcome])).toEqual([['drain-destination', 'applied']]);
    expect(r.draining).toMatchObject([{ destination: { address: '198.51.100.2' }, active: 1, inactive: 2 }]);
    expect(k.table.service(S)!.destinations[1].config.weight).toBe(0);
    const again = await apply(k, want(d(1)));
    expect(again.results).toEqual([]); // still busy: nothing to send
    expect(again.draining[0].since).toBe(r.draining[0].since);
    k.connections.set('198.51.100.2', { active: 0, inactive: 0 });
    const done = await apply(k, want(d(1)));
    expect(done.results.map((x) => [x.step.action, x.outcome])).toEqual([['remove-destination', 'applied']]);
    expect(done.draining).toEqual([]);
  });

  it('a drain times out; re-declaring a draining destination cancels it', async () => {
    const k = new FakeKernel();
    await apply(k, want(d(1), d(2, 5)));
    k.connections.set('198.51.100.2', { active: 1, inactive: 0 });
    await apply(k, want(d(1)));
    const back = await apply(k, want(d(1), d(2, 5)));
    expect(back.results.map((x) => [x.step.action, x.outcome, x.step.changes])).toEqual([
      ['update-destination', 'applied', [{ field: 'weight', from: 0, to: 5 }]],
    ]);
    expect(back.draining).toEqual([]);
    const timedOut = await apply(k, want(d(1)), { drainTimeout: 0 });
    expect(timedOut.results.map((x) => x.step.action)).toEqual(['drain-destination', 'remove-destination']);
  });

  it('wait polls until the drains are done', async () => {
    const k = new FakeKernel();
    await apply(k, want(d(1), d(2)));
    k.connections.set('198.51.100.2', { active: 1, inactive: 0 });
    setTimeout(() => k.connections.delete('198.51.100.2'), 30);
    const r = await apply(k, want(d(1)), { wait: true, pollInterval: 10 });
    expect(r.draining).toEqual([]);
    expect(r.results.map((x) => x.step.action)).toEqual(['drain-destination', 'remove-destination']);
  });

  it('a drain survives a restart through the ownership file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'apply-')), 'state.json');
    const k = new FakeKernel();
    await apply(k, want(d(1), d(2)), { ownership: { file } });
    k.connections.set('198.51.100.2', { active: 1, inactive: 0 });
    const r = await apply(k, want(d(1)), { ownership: { file } });
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.drains).toEqual([{ service: S, destination: { address: '198.51.100.2', port: 80 }, since: r.draining[0].since }]);
    saved.drains[0].since -= 1000; // started a second earlier, as another process remembers it
    writeFileSync(file, JSON.stringify(saved));
    const fresh = new FakeKernel(); // another client object: nothing in memory
    fresh.table = k.table;
    fresh.connections = k.connections;
    const later = await apply(fresh, want(d(1)), { ownership: { file }, drainTimeout: 500 });
    expect(later.results.map((x) => x.step.action)).toEqual(['remove-destination']);
  });

  it('a bad ownership record is refused naming the field', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'apply-')), 'state.json');
    writeFileSync(file, JSON.stringify({ version: 1, services: [], drains: [{ service: S, destination: { address: '198.51.100.2', port: 80 }, since: -1 }] }));
    const err = await apply(new FakeKernel(), want(), { ownership: { file } }).catch((e) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect(err.field).toBe(`ownership record ${file}.drains[0].since`);
    writeFileSync(file, '{"version":1,"services":[{"protocol":"tcp","address":"192.0.2.1","port":80,"__proto__":1}],"drains":[]}');
    await expect(apply(new FakeKernel(), want(), { ownership: { file } })).rejects.toBeInstanceOf(IpvsValidationError);
  });

  it('a store of the caller keeps the record', async () => {
    let saved: unknown = { version: 1, services: [T], drains: [] };
    const store = { load: async () => saved as never, save: async (r: unknown) => void (saved = r) };
    const k = new FakeKernel('-A -t 192.0.2.2:443 -s rr');
    await apply(k, want(), { ownership: store, prune: true });
    expect(k.table.has(T)).toBe(false);
    expect(saved).toEqual({ version: 1, services: [S], drains: [] });
  });
});

describe('consistentTable', () => {
  const entry = (port: number) => ({ key: { ...S, port }, config: {}, destinations: [] }) as unknown as ServiceEntry;
  it('reads until two readings agree', async () => {
    const readings = [[entry(1)], [entry(1), entry(2)], [entry(1), entry(2)]];
    let n = 0;
    expect(await consistentTable(async () => readings[n++])).toHaveLength(2);
    expect(n).toBe(3);
  });
  it('compares only the services in scope: churn elsewhere does not keep readings from agreeing', async () => {
    let n = 0;
    const r = await consistentTable(async () => [entry(1), entry(100 + ++n)], (s) => (s.key as { port: number }).port === 1);
    expect(n).toBe(2);
    expect(r[0]).toEqual(entry(1));
  });
  it('gives up with EAGAIN', async () => {
    let n = 0;
    await expect(consistentTable(async () => [entry(++n)])).rejects.toMatchObject({ code: 'EAGAIN', operation: 'getTable' });
  });
});

describe('apply drainServices', () => {
  it('drains a pruned service before deleting it', async () => {
    let saved: unknown = { version: 1, services: [S, T], drains: [] };
    const store = { load: async () => saved as never, save: async (r: unknown) => void (saved = r) };
    const k = new FakeKernel('-A -t 192.0.2.2:443 -s rr\n-a -t 192.0.2.2:443 -r 198.51.100.7:443 -m -w 2\n-a -t 192.0.2.2:443 -r 198.51.100.8:443 -m -w 1');
    k.connections.set('198.51.100.7', { active: 2, inactive: 0 });
    const r = await apply(k, want(), { ownership: store, prune: true, drainServices: true });
    expect(r.results.map((x) => [x.step.action, x.step.destination?.address ?? null])).toEqual([
      ['add-service', null],
      ['drain-destination', '198.51.100.7'],
      ['drain-destination', '198.51.100.8'],
      ['remove-destination', '198.51.100.8'],
    ]);
    expect(k.table.has(T)).toBe(true);
    expect(r.draining).toMatchObject([{ service: T, destination: { address: '198.51.100.7' } }]);
    k.connections.clear();
    const done = await apply(k, want(), { ownership: store, prune: true, drainServices: true });
    expect(done.results.map((x) => x.step.action)).toEqual(['remove-destination', 'remove-service']);
    expect(k.table.has(T)).toBe(false);
    expect(saved).toEqual({ version: 1, services: [S], drains: [] });
  });
});

describe('apply cut short', () => {
  it('rejects with the batch IpvsPartialError after saving what took effect in the record', async () => {
    let saved: unknown = { version: 1, services: [T], drains: [] };
    const store = { load: async () => saved as never, save: async (r: unknown) => void (saved = r) };
    const k = new FakeKernel('-A -t 192.0.2.2:443 -s rr');
    const real = k.batch.bind(k);
    // The kernel makes the first operation; the client is closed before the second is sent.
    k.batch = async (ops) => {
      const [first] = await real(ops.slice(0, 1));
      const cause = new IpvsError(os.errno.ECANCELED, { operation: 'batch', object: 'batch' });
      const rest = ops.slice(1).map((operation) => ({ ok: false as const, operation, error: cause, applied: 'no' as const, sent: false as const }));
      throw new IpvsPartialError('batch', cause, [first, ...rest], { applied: 1, unknown: 0, notSent: rest.length });
    };
    const err = await apply(k, { services: [] }, { ownership: store, prune: true }).catch((e) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    expect(err.results.map((r: BatchResult) => [r.operation.op, r.ok])).toEqual([['deleteService', true]]);
    expect(saved).toEqual({ version: 1, services: [], drains: [] });

    saved = { version: 1, services: [], drains: [] };
    const k2 = new FakeKernel();
    const real2 = k2.batch.bind(k2);
    k2.batch = async (ops) => {
      const [first] = await real2(ops.slice(0, 1));
      const cause = new IpvsError(os.errno.ECANCELED, { operation: 'batch', object: 'batch' });
      const rest = ops.slice(1).map((operation) => ({ ok: false as const, operation, error: cause, applied: 'no' as const, sent: false as const }));
      throw new IpvsPartialError('batch', cause, [first, ...rest], { applied: 1, unknown: 0, notSent: rest.length });
    };
    await expect(apply(k2, want(d(1)), { ownership: store })).rejects.toBeInstanceOf(IpvsPartialError);
    // Owned before it was created: a later prune can remove it even though this run was cut short.
    expect(saved).toEqual({ version: 1, services: [S], drains: [] });
    expect(k2.table.has(S)).toBe(true);
  });

  it('sends 1,200 steps in batches of 512, and a later batch cut short reports every step: the earlier batches applied, the rest not sent', async () => {
    const many: DesiredTable = { services: Array.from({ length: 300 }, (_, i) => ({
      service: { protocol: 'tcp' as const, address: '192.0.2.1', port: 1000 + i },
      options: { scheduler: 'rr' },
      destinations: [d(1), d(2), d(3)],
    })) };
    const k = new FakeKernel();
    const real = k.batch.bind(k);
    const sizes: number[] = [];
    k.batch = async (ops) => {
      sizes.push(ops.length);
      if (sizes.length < 2) return real(ops);
      // The second batch: its first 100 operations take effect, then the client is closed.
      const done = await real(ops.slice(0, 100));
      const cause = new IpvsError(os.errno.ECANCELED, { operation: 'batch', object: 'batch' });
      const rest = ops.slice(100).map((operation) => ({ ok: false as const, operation, error: cause, applied: 'no' as const, sent: false as const }));
      throw new IpvsPartialError('batch', cause, [...done, ...rest], { applied: 100, unknown: 0, notSent: rest.length });
    };
    const err = await apply(k, many).catch((e) => e);
    expect(sizes).toEqual([512, 512]);
    expect(err).toBeInstanceOf(IpvsPartialError);
    expect(err.results).toHaveLength(1200);
    expect(err.results.filter((r: BatchResult) => r.ok)).toHaveLength(612);
    expect(err.results.slice(0, 612).every((r: BatchResult) => r.ok)).toBe(true);
    expect(err.results.slice(612).every((r: BatchResult) => !r.ok && r.sent === false && r.error.code === 'ECANCELED')).toBe(true);
    expect({ applied: err.applied, unknown: err.unknown, notSent: err.notSent }).toEqual({ applied: 612, unknown: 0, notSent: 588 });
    // The operations in the order apply sends them: the first 612 are what the kernel holds.
    expect(err.results.map((r: BatchResult) => r.operation.op).slice(0, 3)).toEqual(['addService', 'addService', 'addService']);

    // A deadline found passed between two batches: nothing more sent, the same whole report.
    const k2 = new FakeKernel();
    const real2 = k2.batch.bind(k2);
    let calls = 0;
    k2.batch = async (ops) => {
      if (++calls === 2) throw new IpvsError(os.errno.ETIMEDOUT, { operation: 'batch', object: 'batch' });
      return real2(ops);
    };
    const err2 = await apply(k2, many).catch((e) => e);
    expect(err2).toBeInstanceOf(IpvsPartialError);
    expect({ applied: err2.applied, notSent: err2.notSent, length: err2.results.length }).toEqual({ applied: 512, notSent: 688, length: 1200 });
    expect(err2.cause.code).toBe('ETIMEDOUT');
  });

  it('a signal aborted while reading: nothing sent, nothing saved; every step reported not sent, ECANCELED by its signal', async () => {
    const k = new FakeKernel('-A -t 192.0.2.1:80 -s rr');
    const before = k.rules();
    const controller = new AbortController();
    const getTable = k.getTable.bind(k);
    // The abort comes while the kernel is read, as a health change pre-empts the director's resync.
    k.getTable = async () => (controller.abort(new Error('a health change')), getTable());
    let saves = 0;
    const store = { load: async () => ({ version: 1 as const, services: [], drains: [] }), save: async () => void saves++ };
    const err = await apply(k, want(d(1), d(2)), { signal: controller.signal, ownership: store }).catch((e) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    expect({ applied: err.applied, unknown: err.unknown, notSent: err.notSent, code: err.code }).toEqual({ applied: 0, unknown: 0, notSent: 2, code: 'ECANCELED' });
    expect(err.cause.cause.message).toBe('a health change');
    expect(err.results[0].error.message).toMatch(/^addDestination on .* was cancelled: its signal aborted it$/);
    expect(k.rules()).toBe(before);
    expect(saves).toBe(0);
    // Not aborted: the same apply goes through.
    k.getTable = getTable;
    expect((await apply(k, want(d(1), d(2)), { signal: new AbortController().signal })).results).toHaveLength(2);
  });

  it('a signal aborted between two batches of 512: the first applied, the rest not sent', async () => {
    const many: DesiredTable = { services: Array.from({ length: 300 }, (_, i) => ({
      service: { protocol: 'tcp' as const, address: '192.0.2.1', port: 1000 + i },
      destinations: [d(1), d(2), d(3)],
    })) };
    const k = new FakeKernel();
    const controller = new AbortController();
    const real = k.batch.bind(k);
    k.batch = async (ops) => {
      const r = await real(ops);
      controller.abort();
      return r;
    };
    const err = await apply(k, many, { signal: controller.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    expect({ applied: err.applied, notSent: err.notSent, length: err.results.length }).toEqual({ applied: 512, notSent: 688, length: 1200 });
    expect(k.rules().split('\n').filter(Boolean)).toHaveLength(512);
  });

  it('a signal ends the polls of wait: it resolves with what is still draining', async () => {
    const k = new FakeKernel('-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1\n-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1');
    k.connections.set('198.51.100.2', { active: 3, inactive: 0 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const r = await apply(k, want(d(1)), { wait: true, pollInterval: 10_000, signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.draining.map((x) => x.destination.address)).toEqual(['198.51.100.2']);
  });

  it('signal must be an AbortSignal', async () => {
    const err = await apply(new FakeKernel(), want(d(1)), { signal: { aborted: true } }).catch((e) => e);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect(err.field).toBe('options.signal');
  });
});
