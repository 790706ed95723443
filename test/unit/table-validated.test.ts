/**
 * diff's adds, updates and removals carry their checked operation (diff.ts checkedDiff), which apply's
 * batch sends without checking again: it must be what validateOp makes of the step's operation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatedBatchOf, rememberValidatedBatch } from '../../lib/intern';
import { serviceId, endpointId } from '../../lib/keys';
import { validateOp } from '../../lib/plan';
import { mergeDestination } from '../../lib/validate/destination';
import { mergeService } from '../../lib/validate/service';
import { Table, diff } from '../../lib/table';
import { checkedDiff } from '../../lib/table/diff';
import { desiredTableArb } from './table.arbitraries';

describe('diff steps checked once', () => {
  it('an add, update, drain or removal step carries what validateOp (and, for an update, merging over the current config) makes of its operation', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, fc.boolean(), (a, b, drain) => {
      const A = Table.fromObjects(a);
      const B = Table.fromObjects(b);
      let carried = 0;
      const { plan, checked: all } = checkedDiff(A, B, { drain, manage: A.services().map((s) => s.key) });
      expect(plan).toEqual(diff(A, B, { drain, manage: A.services().map((s) => s.key) }));
      expect(all).toHaveLength(plan.steps.length);
      for (const [i, step] of plan.steps.entries()) {
        const checked = all[i];
        if (step.action.startsWith('update-') || step.action === 'drain-destination') {
          // An update or drain carries its whole config: what its options merged over the current config make.
          const { servicePatch, destinationPatch, field: _h, ...rest } = validateOp(step.operation, '');
          const current = A.byId.get(serviceId(rest.service!))!;
          if (servicePatch) {
            expect(checked).toEqual({ ...rest, serviceConfig: mergeService(servicePatch, rest.service!, current.config), field: '' });
          } else {
            const base = current.destinations.get(endpointId(rest.destination!))!.config;
            expect(checked).toEqual({ ...rest, destinationConfig: mergeDestination(destinationPatch!, rest.service!, rest.destination!, base), field: '' });
          }
          carried++;
          continue;
        }
        carried++;
        const { field: _f, ...expected } = validateOp(step.operation, '');
        const { field: _g, ...got } = checked!;
        expect(got).toEqual(expected);
      }
      return carried >= 0;
    }), { numRuns: 100 });
  });

  it('a remembered batch must be a frozen array as long as its checked operations', () => {
    const ops = Object.freeze([{ op: 'flush' }]);
    expect(() => rememberValidatedBatch([{ op: 'flush' }], [validateOp({ op: 'flush' }, '')])).toThrow(TypeError);
    expect(() => rememberValidatedBatch(ops, [])).toThrow(TypeError);
    rememberValidatedBatch(ops, [validateOp({ op: 'flush' }, '')]);
    expect(validatedBatchOf(ops)).toHaveLength(1);
    expect(validatedBatchOf([{ op: 'flush' }])).toBeUndefined();
    expect(validatedBatchOf(null)).toBeUndefined();
  });
});
