/**
 * Property-based tests of the table model: for random valid tables A and B, the plan diff(A, B)
 * applied to A in the model (drains completed as removals) gives B for the services in scope and
 * leaves every other service as it was; diff(B, B) is empty; capacity comes before removals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Table, diff, type Plan, type PlanStep } from '../../lib/table';
import type { BatchOperation, ServiceKey } from '../../lib/types';
import { desiredTableArb, serviceKeyArb } from './table.arbitraries';

const RUNS = { numRuns: 300 };

/** The plan's operations as the kernel would see them once every drain has finished. */
function operationsOf(plan: Plan): BatchOperation[] {
  const ops: BatchOperation[] = [];
  for (const step of plan.steps) {
    ops.push(step.operation);
    if (step.action === 'drain-destination')
      ops.push({ op: 'deleteDestination', service: step.service, destination: step.destination! });
  }
  return ops;
}

function run(a: Table, plan: Plan): Table {
  const { table, outcomes } = a.applyAll(operationsOf(plan));
  // Every step of a plan made against this very table takes effect.
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  return table;
}

const keysOf = (t: Table): ServiceKey[] => t.services().map((s) => s.key);

describe('diff and apply, random tables', () => {
  it('apply(A, diff(A, B)) is B when every service of A is in scope (prune)', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, fc.boolean(), (da, db, drain) => {
      const a = Table.fromObjects(da);
      const b = Table.fromObjects(db);
      const result = run(a, diff(a, b, { prune: keysOf(a), drain }));
      expect(result.toObjects()).toEqual(b.toObjects());
      expect(result.equals(b)).toBe(true);
    }), RUNS);
  });

  it('by default only the desired services change: the others of A are untouched', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, (da, db) => {
      const a = Table.fromObjects(da);
      const b = Table.fromObjects(db);
      const plan = diff(a, b);
      const result = run(a, plan);
      for (const s of b.services()) expect(result.service(s.key)).toEqual(s);
      for (const s of a.services()) if (!b.has(s.key)) expect(result.service(s.key)).toEqual(s);
      expect(result.size).toBe(new Set([...keysOf(a), ...keysOf(b)].map((k) => JSON.stringify(k))).size);
      expect(plan.steps.some((s) => s.action === 'remove-service')).toBe(false);
    }), RUNS);
  });

  it('services outside manage, prune and the desired table are never in a step', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, fc.array(serviceKeyArb, { maxLength: 3 }), (da, db, manage) => {
      const a = Table.fromObjects(da);
      const b = Table.fromObjects(db);
      const inScope = new Set([...keysOf(b), ...manage].map((k) => a.service(k)?.key ?? k).map((k) => JSON.stringify(k)));
      const plan = diff(a, b, { manage });
      for (const step of plan.steps) {
        const key = a.service(step.service)?.key ?? b.service(step.service)!.key;
        expect(inScope.has(JSON.stringify(key))).toBe(true);
      }
      const result = run(a, plan);
      for (const s of a.services())
        if (!inScope.has(JSON.stringify(s.key))) expect(result.service(s.key)).toEqual(s);
      // Managed and not desired: removed.
      for (const k of manage) if (!b.has(k)) expect(result.has(k)).toBe(false);
    }), RUNS);
  });

  it('diff(B, B) is empty, and so is the diff after applying a plan', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, (da, db) => {
      const a = Table.fromObjects(da);
      const b = Table.fromObjects(db);
      expect(diff(b, b, { prune: keysOf(b) }).steps).toEqual([]);
      expect(diff(run(a, diff(a, b)), b).steps).toEqual([]);
    }), RUNS);
  });

  it('no step takes capacity away before a step that adds or changes it', () => {
    const rank: Record<PlanStep['action'], number> = {
      'add-service': 0, 'update-service': 1, 'add-destination': 2, 'update-destination': 2,
      'drain-destination': 3, 'remove-destination': 3, 'remove-service': 4,
    };
    fc.assert(fc.property(desiredTableArb, desiredTableArb, fc.boolean(), (da, db, drain) => {
      const a = Table.fromObjects(da);
      const steps = diff(a, Table.fromObjects(db), { prune: keysOf(a), drain }).steps;
      const ranks = steps.map((s) => rank[s.action]);
      expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
      if (!drain) expect(steps.some((s) => s.action === 'drain-destination')).toBe(false);
    }), RUNS);
  });

  it('a plan survives JSON unchanged (plain data, no bigints)', () => {
    fc.assert(fc.property(desiredTableArb, desiredTableArb, (da, db) => {
      const plan = diff(Table.fromObjects(da), Table.fromObjects(db));
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    }), RUNS);
  });

  it('a table round-trips through plain objects and through rules text', () => {
    fc.assert(fc.property(desiredTableArb, (d) => {
      const t = Table.fromObjects(d);
      expect(Table.fromObjects(t.toObjects()).toObjects()).toEqual(t.toObjects());
      expect(Table.fromRules(t.toRules()).toObjects()).toEqual(t.toObjects());
      expect(Table.fromKernel(t.services()).toObjects()).toEqual(t.toObjects());
    }), RUNS);
  });
});
