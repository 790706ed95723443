/**
 * plan.ts's Overlay (the batch planner's fold of operations into the state it reads) checked against
 * the table model's fold: for random tables and random batches, every update the planner sends
 * carries exactly the config the model computes over what the kernel holds at that point, and every
 * operation it answers without sending (ESRCH, ENOENT, EINVAL) is one the model refuses alike. The
 * fake kernel is a Table, changed as each part is "sent", so re-planning after a failure is covered.
 */
import fc from 'fast-check';
import { constants as os } from 'node:os';
import { describe, expect, it } from 'vitest';
import { IpvsValidationError } from '../../lib/errors';
import { destinationId, endpointId, serviceId } from '../../lib/keys';
import { BatchPlan, Overlay, validateOp, type StateReader, type ValidatedOp } from '../../lib/plan';
import { Table, type DesiredTable } from '../../lib/table';
import type { BatchOperation, DestinationConfig, DestinationKey, ServiceConfig, ServiceKey } from '../../lib/types';
import { destinationKey } from '../../lib/validate/destination';
import { serviceKey } from '../../lib/validate/service';

const SERVICES: ServiceKey[] = [
  { protocol: 'tcp', address: '192.0.2.1', port: 80 },
  { protocol: 'udp', address: '192.0.2.2', port: 53 },
  { fwmark: 1, family: 'ipv4' },
];
const DESTS: DestinationKey[] = [{ address: '198.51.100.1', port: 80 }, { address: '198.51.100.2', port: 8080 }];

// Two of the three services mostly: operations meet each other's objects often.
const service = fc.constantFrom(SERVICES[0], SERVICES[2], SERVICES[0], SERVICES[2], SERVICES[1]);
const destination = fc.constantFrom(...DESTS);
const servicePatch = fc.oneof(
  fc.record({ scheduler: fc.constantFrom('rr', 'sh', 'mh') }),
  fc.record({ schedulerFlags: fc.subarray(['sh-port', 'flag-3']) }),
  fc.record({ persistence: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constant(false)) }),
  fc.record({ onePacket: fc.boolean() }),
);
const destinationPatch = fc.oneof(
  fc.record({ weight: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ upperThreshold: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ lowerThreshold: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ forwarding: fc.constantFrom('masq', 'tunnel') }),
);
const operation: fc.Arbitrary<BatchOperation> = fc.oneof(
  fc.record({ op: fc.constant('addService'), service, options: servicePatch }),
  fc.record({ op: fc.constant('updateService'), service, options: servicePatch }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteService'), service }) },
  fc.record({ op: fc.constant('addDestination'), service, destination, options: fc.constant({ forwarding: 'masq' as const }) }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('updateDestination'), service, destination, options: destinationPatch }) },
  fc.record({ op: fc.constant('deleteDestination'), service, destination }),
  fc.constant({ op: 'flush' as const }),
) as fc.Arbitrary<BatchOperation>;

/** A kernel holding some of the pool's services, each with some of the pool's destinations. */
const startArb = fc.subarray(SERVICES).chain((services) => fc.tuple(...services.map((s) =>
  fc.record({
    service: fc.constant(s),
    options: fc.constantFrom({}, { scheduler: 'sh', schedulerFlags: ['sh-port'] }, { persistence: 300 }),
    destinations: fc.subarray(DESTS).map((ds) => ds.map((d) => ({ destination: d, options: { forwarding: 'masq' as const, weight: 2 } }))),
  }))).map((list) => ({ services: list }))) as fc.Arbitrary<DesiredTable>;

/** Operations valid on their own (the client refuses the others before planning). */
function validOps(ops: BatchOperation[]): ValidatedOp[] {
  const out: ValidatedOp[] = [];
  for (const op of ops) {
    try {
      out.push(validateOp(op, `operations[${out.length}]`));
    } catch (err) {
      if (!(err instanceof IpvsValidationError)) throw err;
    }
  }
  return out;
}

function readerOf(kernel: () => Table, reads: string[] = []): StateReader {
  return {
    async serviceConfig(key) {
      reads.push(`service ${serviceId(key)}`);
      return kernel().byId.get(serviceId(key))?.config ?? null;
    },
    async destinationConfigs(key) {
      reads.push(`destinations ${serviceId(key)}`);
      const s = kernel().byId.get(serviceId(key));
      return s ? new Map([...s.destinations.values()].map((d) => [destinationId(key, d.key), d.config])) : null;
    },
  };
}

const sorted = (c: ServiceConfig) => ({ ...c, schedulerFlags: [...c.schedulerFlags].sort() });
const ERRNO = { ESRCH: os.errno.ESRCH, ENOENT: os.errno.ENOENT, EEXIST: os.errno.EEXIST } as const;

/** Sends the batch through BatchPlan to a kernel modelled by a Table; checks every planned step against the model. */
async function sendThroughPlanner(start: Table, ops: ValidatedOp[]): Promise<Table | null> {
  let kernel = start;
  let plan: BatchPlan;
  try {
    plan = await BatchPlan.create(ops, readerOf(() => kernel));
  } catch (err) {
    // An update invalid even if every operation took effect: refused whole, before anything is sent.
    expect(err).toBeInstanceOf(IpvsValidationError);
    return null;
  }
  let part = await plan.next();
  while (part) {
    const outcomes = part.map((planned) => {
      let model: ReturnType<Table['apply']> | 'EINVAL';
      try {
        model = kernel.apply(planned.operation);
      } catch (err) {
        expect(err).toBeInstanceOf(IpvsValidationError);
        model = 'EINVAL';
      }
      if (planned.request === undefined) {
        // Answered without sending: the model refuses it the same way, and nothing changes.
        const code = model === 'EINVAL' ? os.errno.EINVAL : model.outcome.ok ? 0 : ERRNO[model.outcome.code];
        expect(planned.knownErrno).toBe(code);
        return { ok: false };
      }
      expect(model).not.toBe('EINVAL');
      if (model === 'EINVAL') return { ok: false };
      const v = planned.validated;
      // An update is planned over what the kernel holds: once sent, it takes effect.
      if (v.kind === 'updateService' || v.kind === 'updateDestination') expect(model.outcome).toEqual({ ok: true });
      if (model.outcome.ok && (v.kind === 'updateService' || v.kind === 'addService'))
        expect(sorted(v.serviceConfig!)).toEqual(model.table.byId.get(serviceId(v.service!))!.config);
      if (model.outcome.ok && (v.kind === 'updateDestination' || v.kind === 'addDestination'))
        expect(v.destinationConfig).toEqual(model.table.byId.get(serviceId(v.service!))!.destinations.get(endpointId(v.destination!))!.config);
      kernel = model.table;
      return { ok: model.outcome.ok };
    });
    part = await plan.next(outcomes);
  }
  return kernel;
}

describe('the batch planner folds operations as the table model does', () => {
  it('random batches over random tables: same configs sent, same refusals, same final table', async () => {
    await fc.assert(fc.asyncProperty(startArb, fc.array(operation, { maxLength: 16 }), async (desired, raw) => {
      const start = Table.fromObjects(desired);
      const ops = validOps(raw);
      const end = await sendThroughPlanner(start, ops);
      if (end === null) return; // refused whole: nothing sent
      // The model's own fold of the same operations ends where the kernel did (an update it finds
      // invalid over its base is one the planner refused, EINVAL, without sending).
      let model = start;
      for (const op of ops) {
        try {
          model = model.apply(op.operation).table;
        } catch (err) {
          expect(err).toBeInstanceOf(IpvsValidationError);
        }
      }
      expect(end.toObjects()).toEqual(model.toObjects());
    }), { numRuns: 500 });
  });
});

describe('Overlay', () => {
  const S = serviceKey(SERVICES[0]);
  const T = serviceKey(SERVICES[1]);
  const D = destinationKey(DESTS[0]);
  const E = destinationKey(DESTS[1]);
  const WLC: ServiceConfig = { scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: null, persistenceEngine: null };
  const MASQ: DestinationConfig = { forwarding: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null };
  const kernel = Table.fromObjects({ services: [{ service: SERVICES[0], destinations: [{ destination: DESTS[0], options: { forwarding: 'masq' } }] }] });

  it('reads each service and each service\'s destinations once, then answers from what it holds', async () => {
    const reads: string[] = [];
    const overlay = new Overlay(readerOf(() => kernel, reads));
    expect(await overlay.service(S)).toEqual(WLC);
    expect(await overlay.destination(S, D)).toEqual(MASQ);
    expect(await overlay.destination(S, E)).toBeNull();
    expect(await overlay.destination(T, D)).toBe('no-service');
    expect(await overlay.service(S)).toEqual(WLC);
    // A service whose destinations cannot be read does not exist: not read again.
    expect(reads).toEqual(['service tcp/192.0.2.1/80', 'destinations tcp/192.0.2.1/80', 'destinations udp/192.0.2.2/53']);
  });

  it('holds what the batch wrote: a deleted service has no destinations, a flush empties all without reading', async () => {
    const reads: string[] = [];
    const overlay = new Overlay(readerOf(() => kernel, reads));
    await overlay.destination(S, D);
    overlay.setService(S, null);
    expect(await overlay.destination(S, D)).toBe('no-service');
    overlay.setService(S, WLC);
    expect(await overlay.destination(S, D)).toBeNull();
    overlay.setDestination(S, E, MASQ);
    expect(await overlay.destination(S, E)).toEqual(MASQ);
    overlay.flush();
    expect(await overlay.service(T)).toBeNull();
    expect(await overlay.destination(S, E)).toBe('no-service');
    expect(reads).toEqual(['destinations tcp/192.0.2.1/80', 'service tcp/192.0.2.1/80']);
  });

  it('tells which updates depend on the part being planned, until it settles', () => {
    const overlay = new Overlay(readerOf(() => kernel));
    const update = (op: BatchOperation) => validateOp(op, '');
    const updS = update({ op: 'updateService', service: SERVICES[0], options: { scheduler: 'rr' } });
    const updSD = update({ op: 'updateDestination', service: SERVICES[0], destination: DESTS[0], options: { weight: 2 } });
    const updSE = update({ op: 'updateDestination', service: SERVICES[0], destination: DESTS[1], options: { weight: 2 } });
    overlay.setDestination(S, D, MASQ);
    expect([overlay.dependsOnPending(updS), overlay.dependsOnPending(updSD), overlay.dependsOnPending(updSE)]).toEqual([false, true, false]);
    overlay.setService(S, WLC, true);
    expect([overlay.dependsOnPending(updS), overlay.dependsOnPending(updSE)]).toEqual([true, false]);
    overlay.setService(S, null);
    expect(overlay.dependsOnPending(updSE)).toBe(true);
    overlay.settle();
    expect([overlay.dependsOnPending(updS), overlay.dependsOnPending(updSD), overlay.dependsOnPending(updSE)]).toEqual([false, false, false]);
    overlay.flush();
    expect(overlay.dependsOnPending(updSE)).toBe(true);
  });
});
