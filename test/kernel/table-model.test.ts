/**
 * The table model against the real kernel: random tables written by ipvsadm read back as the same
 * Table; random operations get from the kernel exactly the outcomes the model's fold predicts; and
 * the operations of diff(A, B) sent to a kernel holding A leave it holding B.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Table, diff, type Plan } from '../../lib';
import type { BatchOperation, DestinationKey, ServiceKey } from '../../lib';
import { useNamespace } from '../helpers/kernel';
import { desiredTableArb } from '../unit/table.arbitraries';

const ctx = useNamespace('table', { flushEach: true });
const RUNS = { numRuns: 25 };

async function kernelTable(): Promise<Table> {
  return Table.fromKernel(await ctx.ipvs.getTable());
}

async function load(table: Table): Promise<void> {
  await ctx.ipvs.flush();
  ctx.ns.restore(table.toRules());
}

describe('Table and the kernel', () => {
  it('a random table restored by ipvsadm reads back as the same table', async () => {
    await fc.assert(fc.asyncProperty(desiredTableArb, async (desired) => {
      const table = Table.fromObjects(desired);
      await load(table);
      expect((await kernelTable()).toObjects()).toEqual(table.toObjects());
    }), RUNS);
  });

  it('the fold answers each operation as the kernel does (EEXIST, ESRCH, ENOENT) and ends where it ends', async () => {
    const SERVICES: ServiceKey[] = [{ protocol: 'tcp', address: '192.0.2.1', port: 80 }, { fwmark: 1, family: 'ipv4' }];
    const DESTS: DestinationKey[] = [{ address: '198.51.100.1', port: 80 }, { address: '198.51.100.2', port: 80 }];
    const service = fc.constantFrom(...SERVICES);
    const destination = fc.constantFrom(...DESTS);
    const operation = fc.oneof(
      fc.record({ op: fc.constant('addService'), service, options: fc.constantFrom({}, { scheduler: 'rr' }, { persistence: 60 }) }),
      fc.record({ op: fc.constant('updateService'), service, options: fc.constantFrom({ scheduler: 'sh' }, { persistence: false }) }),
      fc.record({ op: fc.constant('deleteService'), service }),
      fc.record({ op: fc.constant('addDestination'), service, destination, options: fc.constantFrom({}, { weight: 3 }) }),
      fc.record({ op: fc.constant('updateDestination'), service, destination, options: fc.constantFrom({ weight: 0 }, { upperThreshold: 9 }) }),
      fc.record({ op: fc.constant('deleteDestination'), service, destination }),
      fc.record({ op: fc.constant('zero'), service }),
    ) as fc.Arbitrary<BatchOperation>;
    await fc.assert(fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 10 }), async (ops) => {
      await ctx.ipvs.flush();
      let model = Table.empty();
      for (const op of ops) {
        const predicted = model.apply(op);
        const [result] = await ctx.ipvs.batch([op]);
        const answer = result.ok ? { ok: true } : { ok: false, code: result.error.code };
        expect({ op, answer }).toEqual({ op, answer: predicted.outcome });
        model = predicted.table;
      }
      expect((await kernelTable()).toObjects()).toEqual(model.toObjects());
    }), RUNS);
  });

  it('the operations of diff(A, B) turn a kernel holding A into one holding B', async () => {
    const send = async (plan: Plan): Promise<void> => {
      const ops: BatchOperation[] = plan.steps.map((s) => s.operation);
      // A drain ends in a removal once the destination is idle; nothing holds connections here.
      for (const s of plan.steps)
        if (s.action === 'drain-destination') ops.push({ op: 'deleteDestination', service: s.service, destination: s.destination! });
      const results = await ctx.ipvs.batch(ops);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    };
    await fc.assert(fc.asyncProperty(desiredTableArb, desiredTableArb, fc.boolean(), async (da, db, drain) => {
      const a = Table.fromObjects(da);
      const b = Table.fromObjects(db);
      await load(a);
      const current = await kernelTable();
      await send(diff(current, b, { prune: current.services().map((s) => s.key), drain }));
      const after = await kernelTable();
      expect(after.toObjects()).toEqual(b.toObjects());
      expect(diff(after, b).steps).toEqual([]);
    }), RUNS);
  });
});
