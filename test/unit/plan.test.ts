/**
 * The batch planner: updates patch what the kernel holds plus the operations that took effect,
 * never an operation that failed. A fake StateReader stands for the kernel.
 */
import { describe, expect, it } from 'vitest';
import { CMD } from '../../lib/constants';
import { destinationId, serviceId } from '../../lib/keys';
import { BatchPlan, validateBatch, type PlannedOp, type StateReader } from '../../lib/plan';
import { Table } from '../../lib/table';
import { checkedDiff } from '../../lib/table/diff';
import type { BatchOperation, DestinationConfig, ServiceConfig } from '../../lib/types';
import { serviceKey } from '../../lib/validate/service';
import { destinationKey } from '../../lib/validate/destination';

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const T = { protocol: 'tcp', address: '192.0.2.2', port: 80 } as const;
const D = { address: '198.51.100.7', port: 80 };
const E = { address: '198.51.100.8', port: 80 };

const WLC: ServiceConfig = { scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null };
const ROUTE_1: DestinationConfig = { forwarding: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null };

/** A kernel holding S (wlc) and T (wlc), each with D (route, weight 1); counts the reads. */
function kernel() {
  const reads: string[] = [];
  const services = new Map([[serviceId(serviceKey(S)), WLC], [serviceId(serviceKey(T)), WLC]]);
  const reader: StateReader = {
    async serviceConfig(key) {
      reads.push(`service ${serviceId(key)}`);
      return services.get(serviceId(key)) ?? null;
    },
    async destinationConfigs(key) {
      reads.push(`destinations ${serviceId(key)}`);
      if (!services.has(serviceId(key))) return null;
      return new Map([[destinationId(key, destinationKey(D)), ROUTE_1]]);
    },
  };
  return { reader, reads };
}

const ISSUE_BATCH: BatchOperation[] = [
  { op: 'addService', service: S, options: { scheduler: 'rr', persistence: 300 } },
  { op: 'updateService', service: S, options: { scheduler: 'sh' } },
  { op: 'addDestination', service: S, destination: D, options: { forwarding: 'masq', weight: 5 } },
  { op: 'updateDestination', service: S, destination: D, options: { weight: 2 } },
];

/** What a part would send: command, scheduler, persistence timeout, forwarding number, weight. */
function sent(part: PlannedOp[] | null) {
  return part?.map((p) => {
    const r = p.request;
    if (!r) return `not sent (${p.knownErrno})`;
    const svc = r.service!;
    if (r.cmd === CMD.NEW_SERVICE || r.cmd === CMD.SET_SERVICE) return `${r.cmd} ${svc.scheduler} ${svc.timeout}`;
    return `${r.cmd} ${r.destination!.forwarding} ${r.destination!.weight}`;
  });
}

const ok = { ok: true };
const failed = { ok: false };

describe('BatchPlan', () => {
  it('an update after a failed add of the same object patches what the kernel holds (issue 8, item 5)', async () => {
    const { reader } = kernel();
    const plan = await BatchPlan.create(validateBatch(ISSUE_BATCH), reader);
    // Each update waits for the outcome of the add it would patch.
    expect(sent(await plan.next())).toEqual([`${CMD.NEW_SERVICE} rr 300`]);
    expect(sent(await plan.next([failed]))).toEqual([`${CMD.SET_SERVICE} sh 0`, `${CMD.NEW_DEST} 0 5`]);
    expect(sent(await plan.next([ok, failed]))).toEqual([`${CMD.SET_DEST} 3 2`]);
    expect(await plan.next([ok])).toBeNull();
  });

  it('when the adds take effect, the updates patch them, without reading the kernel again', async () => {
    const { reader, reads } = kernel();
    const plan = await BatchPlan.create(validateBatch(ISSUE_BATCH), reader);
    const before = reads.length;
    expect(sent(await plan.next())).toEqual([`${CMD.NEW_SERVICE} rr 300`]);
    expect(sent(await plan.next([ok]))).toEqual([`${CMD.SET_SERVICE} sh 300`, `${CMD.NEW_DEST} 0 5`]);
    expect(sent(await plan.next([ok, ok]))).toEqual([`${CMD.SET_DEST} 0 2`]);
    expect(await plan.next([ok])).toBeNull();
    expect(reads.length).toBe(before);
  });

  it('updates of objects no earlier operation writes go out in one part (a controller\'s diff)', async () => {
    const { reader } = kernel();
    const plan = await BatchPlan.create(validateBatch([
      { op: 'updateService', service: S, options: { scheduler: 'rr' } },
      { op: 'updateDestination', service: S, destination: D, options: { weight: 4 } },
      { op: 'addDestination', service: S, destination: E },
      { op: 'updateService', service: T, options: { scheduler: 'lc' } },
      { op: 'updateDestination', service: T, destination: D, options: { weight: 9 } },
    ]), reader);
    expect(sent(await plan.next())).toEqual([
      `${CMD.SET_SERVICE} rr 0`, `${CMD.SET_DEST} 3 4`, `${CMD.NEW_DEST} 3 1`, `${CMD.SET_SERVICE} lc 0`, `${CMD.SET_DEST} 3 9`,
    ]);
    expect(await plan.next([ok, ok, ok, ok, ok])).toBeNull();
  });

  it('a batch without updates is one part and reads nothing', async () => {
    const { reader, reads } = kernel();
    const ops = validateBatch([
      { op: 'addService', service: S }, { op: 'addDestination', service: S, destination: D }, { op: 'deleteService', service: T },
    ]);
    const plan = await BatchPlan.create(ops, reader);
    expect((await plan.next())!.length).toBe(3);
    expect(await plan.next([failed, failed, failed])).toBeNull();
    expect(reads).toEqual([]);
  });

  it("apply's updates carry their whole config: sent as checked, nothing read, no part cut for them", async () => {
    const { reader, reads } = kernel();
    const A = Table.fromRules(`-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 198.51.100.7:80 -g -w 1\n-A -t 192.0.2.2:80 -s wlc`);
    const B = Table.fromRules(`-A -t 192.0.2.1:80 -s sh\n-a -t 192.0.2.1:80 -r 198.51.100.7:80 -m -w 3\n-A -t 192.0.2.2:80 -s rr\n-a -t 192.0.2.2:80 -r 198.51.100.8:80 -m -w 2`);
    const { plan: diffPlan, checked } = checkedDiff(A, B);
    const ops = diffPlan.steps.map((_, i) => checked[i]);
    expect(diffPlan.steps.map((s) => s.action)).toEqual(['update-service', 'update-service', 'update-destination', 'add-destination']);
    const plan = await BatchPlan.create(ops, reader);
    expect(sent(await plan.next())).toEqual([`${CMD.SET_SERVICE} sh 0`, `${CMD.SET_SERVICE} rr 0`, `${CMD.SET_DEST} 0 3`, `${CMD.NEW_DEST} 0 2`]);
    expect(await plan.next([ok, ok, ok, ok])).toBeNull();
    expect(reads).toEqual([]);
    // The same steps as a caller's patches are planned over what the kernel holds: read.
    const patched = await BatchPlan.create(validateBatch(diffPlan.steps.map((step) => step.operation)), reader);
    expect(sent(await patched.next())).toEqual(sent(await (await BatchPlan.create(ops, kernel().reader)).next()));
    expect(reads.length).toBeGreaterThan(0);
  });

  it('an update after a delete waits for it: if the delete fails the update is sent', async () => {
    const { reader } = kernel();
    const plan = await BatchPlan.create(validateBatch([
      { op: 'deleteService', service: S },
      { op: 'updateService', service: S, options: { scheduler: 'rr' } },
    ]), reader);
    expect((await plan.next())!.map((p) => p.request?.cmd)).toEqual([CMD.DEL_SERVICE]);
    expect(sent(await plan.next([failed]))).toEqual([`${CMD.SET_SERVICE} rr 0`]);
  });

  it('an update after a flush that took effect is known to fail without being sent', async () => {
    const { reader, reads } = kernel();
    const plan = await BatchPlan.create(validateBatch([
      { op: 'flush' },
      { op: 'updateService', service: S, options: { scheduler: 'rr' } },
    ]), reader);
    expect((await plan.next())!.map((p) => p.request?.cmd)).toEqual([CMD.FLUSH]);
    expect(sent(await plan.next([ok]))).toEqual(['not sent (3)']);
    expect(reads).toEqual([]);
  });

  it('an update invalid over what the kernel holds, found after a failure, is refused (EINVAL), not thrown', async () => {
    const { reader } = kernel();
    const plan = await BatchPlan.create(validateBatch([
      { op: 'addService', service: S, options: { scheduler: 'sh' } },
      // Valid over the add (sh), not over the kernel's wlc.
      { op: 'updateService', service: S, options: { schedulerFlags: ['sh-port'] } },
    ]), reader);
    await plan.next();
    const [refused] = (await plan.next([failed]))!;
    expect(refused.request).toBeUndefined();
    expect(refused.knownErrno).toBe(22);
    expect(refused.validated.refusal?.field).toBe('operations[1].options.schedulerFlags[0]');
  });

  it('an update invalid even if every earlier operation takes effect throws before anything is sent', async () => {
    const { reader } = kernel();
    await expect(BatchPlan.create(validateBatch([
      { op: 'addService', service: S, options: { scheduler: 'rr' } },
      { op: 'updateService', service: S, options: { schedulerFlags: ['sh-port'] } },
    ]), reader)).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'operations[1].options.schedulerFlags[0]' });
  });

  it('after failures, each later part is planned when its turn comes: reads grow with the parts, not their square', async () => {
    const { reader, reads } = kernel();
    const ops: BatchOperation[] = [];
    for (let i = 0; i < 2000; i++) {
      const key = { ...S, port: 1000 + i };
      ops.push({ op: 'addService', service: key }, { op: 'updateService', service: key, options: { scheduler: 'rr' } });
    }
    const plan = await BatchPlan.create(validateBatch(ops), reader);
    const before = reads.length;
    let parts = 0;
    let outcomes: { ok: boolean }[] | undefined;
    for (let part = await plan.next(); part; part = await plan.next(outcomes)) {
      parts++;
      // Every add fails (the service "exists"), every update is sent.
      outcomes = part.map((p) => ({ ok: p.request?.cmd !== CMD.NEW_SERVICE }));
    }
    expect(parts).toBe(2001);
    expect(reads.length - before).toBe(2000);
  });

  it('never changes a validated operation: planning twice gives the same requests', async () => {
    const ops = validateBatch([{ op: 'updateService', service: S, options: { persistence: 60 } }]);
    expect(Object.isFrozen(ops[0])).toBe(true);
    expect(ops[0].serviceConfig).toBeUndefined();
    const first = await (await BatchPlan.create(ops, kernel().reader)).next();
    const second = await (await BatchPlan.create(ops, kernel().reader)).next();
    expect(ops[0].serviceConfig).toBeUndefined();
    expect(second![0].request).toEqual(first![0].request);
  });
});
