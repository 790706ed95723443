/**
 * ipvs.apply(desired, options): make the kernel hold `desired` for the services in scope by
 * sending only the difference. One pass: read the kernel, diff, plan the drains, send; with
 * `wait`, passes repeat until every drain is done. Never flushes; never touches a service that
 * is neither declared nor (with prune) in the ownership record.
 */
import { constants as os } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deadline, SEND_CHUNK } from '../call';
import { IpvsError, IpvsPartialError, STAGE_ABORTED } from '../errors';
import { cutBatch, notSentResult, unsentBatch } from '../partial';
import { serviceId } from '../keys';
import { checkedDiff } from '../table/diff';
import { deepFreeze, rememberValidatedBatch } from '../intern';
import { validateOp, type ValidatedOp } from '../plan';
import { PackedListing } from '../table/packed';
import { Table } from '../table/table';
import type { PlanStep } from '../table/types';
import type { BatchOperation, BatchResult, ServiceEntry, ServiceKey } from '../types';
import { serviceKey } from '../validate/service';
import type { ApplyClient } from './client';
import { completeListing, completeNeeded, type Ids } from './consistent';
import { connectionsOf, drainingServices, planDrains } from './drains';
import { applyOptions, type CheckedApplyOptions } from './options';
import { loadRecord, ownedIndex, owning, recordOf } from './ownership';
import { resolveExisting } from './resolve';
import type { ApplyResult, DrainingDestination, OwnershipRecord, StepResult } from './types';

export async function applyTable(client: ApplyClient, desired: unknown, options: unknown, clientTimeout: number): Promise<ApplyResult> {
  const o = applyOptions(options, client, clientTimeout);
  const want = desired instanceof Table ? desired : Table.fromObjects(desired as never);
  const deadline = new Deadline(o.timeout);
  const left = () => {
    const ms = deadline.left();
    if (ms === 0) throw new IpvsError(os.errno.ETIMEDOUT, { operation: 'batch', object: 'apply', timeoutMs: o.timeout });
    return ms;
  };
  let record = await loadRecord(o.store);
  const first = await pass(client, want, o, record, left);
  const results = [...first.results];
  let { draining, changed } = first;
  record = first.record;
  while (o.wait && !o.dryRun && draining.length) {
    // The caller's deadline or signal: what is still draining is in the result (the kernel drains on).
    if (!await pause(Math.min(o.pollInterval, deadline.left()), o.signal) || deadline.left() === 0) break;
    const next = await pass(client, want, o, record, left);
    results.push(...next.results);
    changed ||= next.changed;
    draining = next.draining;
    record = next.record;
  }
  return { plan: { steps: first.shown }, results, draining, changed };
}

interface Pass {
  shown: PlanStep[];
  results: StepResult[];
  draining: DrainingDestination[];
  changed: boolean;
  record: OwnershipRecord;
}

async function pass(client: ApplyClient, want: Table, o: CheckedApplyOptions, record: OwnershipRecord, left: () => number): Promise<Pass> {
  const entries = await readKernel(client, want, o, record, left);
  const current = entries instanceof PackedListing ? Table.fromPacked(entries, want) : Table.fromListing(entries, want);
  const { plan, checked } = checkedDiff(current, want, { prune: o.prune ? record.services : [], drain: o.drain });
  const steps = o.drainServices ? drainingServices(plan.steps, current) : plan.steps;
  const drains = planDrains(steps, connectionsOf(entries, steps), record.drains, Date.now(), o.drainTimeout);
  if (o.dryRun) return { shown: drains.shown, results: [], draining: drains.draining, changed: false, record };
  const checkedOf = checkedLookup(plan.steps, checked, drains.steps);

  // Written ahead: a service about to be created is owned before it exists, and a drain's start
  // is kept before its weight 0 is sent, so a process killed mid-batch leaves nothing unaccounted.
  const owned = owning(record, want);
  // Aborted while reading or planning: nothing of this pass was sent or saved.
  if (o.signal?.aborted) throw unsentBatch(drains.steps.map((step, i) => validatedOf(step, checkedOf, i)), aborted(o.signal), o.timeout, STAGE_ABORTED);
  let last = record;
  const save = async (r: OwnershipRecord) => {
    if (r !== last && !sameRecord(last, r)) await o.store.save(r);
    last = r;
  };
  await save(recordOf(owned, drains.records, record));

  const results: StepResult[] = [];
  let sent: BatchResult[];
  try {
    sent = await sendSteps(client, drains.steps, checkedOf, left, o);
  } catch (err) {
    if (err instanceof IpvsPartialError) await save(recordOf(afterRemovals(owned, drains.steps, err.results as BatchResult[], want.byId), drains.records, last));
    throw err;
  }
  const existing: PlanStep[] = [];
  drains.steps.forEach((step, i) => {
    const r = sent[i];
    const outcome = outcomeOf(step, r);
    if (outcome === 'existed') existing.push(step);
    results.push(r.ok || outcome !== 'failed' ? { step, outcome } : { step, outcome, error: r.error });
  });
  if (existing.length) {
    const fixes = await resolveExisting(client, want, existing, left);
    const fixed = fixes.length ? await client.batch(fixes.map((s) => s.operation), { timeout: left() }) : [];
    fixes.forEach((step, i) => {
      const r = fixed[i];
      results.push(r.ok ? { step, outcome: 'applied' } : { step, outcome: r.applied === 'unknown' ? 'unknown' : 'failed', error: r.error });
    });
  }
  const saved = recordOf(afterRemovals(owned, drains.steps, sent, want.byId), drains.records, last);
  await save(saved);
  const changed = results.some((r) => r.outcome === 'applied' || r.outcome === 'unknown');
  return { shown: drains.shown, results, draining: drains.draining, changed, record: saved };
}

/**
 * The kernel's table, counters left out (apply needs connection counts only); see completeListing
 * for `consistent`. Packed when the client can (and nothing needs reading again): made into
 * objects only where it differs from `want`.
 */
async function readKernel(
  client: ApplyClient, want: Table, o: CheckedApplyOptions, record: OwnershipRecord, left: () => number,
): Promise<ServiceEntry[] | PackedListing> {
  const declared = want.byId;
  const owned = o.prune ? ownedIndex(record) : new Map<string, ServiceKey>();
  if (client.packedTable) {
    const packed = await client.packedTable({ timeout: left() });
    // Aborted: no more readings (the pass stops before sending).
    if (!o.consistent || o.signal?.aborted || !completeNeeded(packed, declared, owned)) return packed;
    return completeListing(client, packed.entries(), declared, owned, left);
  }
  const entries = await client.getTable({ timeout: left(), stats: false });
  if (!o.consistent || o.signal?.aborted) return entries;
  return completeListing(client, entries, declared, owned, left);
}

/**
 * The steps' operations sent in chunks of SEND_CHUNK, one batch each, in order: a batch of the whole
 * table (50,000 operations) built every request and result at once, and the fresh memory that took
 * made apply slower than restore (which sends in such chunks). Whatever stops a chunk stops the rest:
 * IpvsPartialError with every step's result, those of the earlier chunks and those never sent.
 */
async function sendSteps(
  client: ApplyClient, steps: readonly PlanStep[], checkedOf: CheckedOf, left: () => number,
  o: Pick<CheckedApplyOptions, 'timeout' | 'signal'>,
): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  // What stopped the send part-way: the chunks from `next` on were never sent.
  const stop = (cause: IpvsError, cut: BatchResult[], cutNotSent: number, stage?: string): never => {
    const next = results.length + cut.length;
    const rest = steps.slice(next).map((step, i) => notSentResult(validatedOf(step, checkedOf, next + i), cause, o.timeout, stage));
    throw cutBatch([...results, ...cut, ...rest], cause, cutNotSent + rest.length);
  };
  for (let from = 0; from < steps.length; from += SEND_CHUNK) {
    if (from > 0 && o.signal?.aborted) stop(aborted(o.signal), [], 0, STAGE_ABORTED);
    const chunk = steps.slice(from, from + SEND_CHUNK);
    try {
      results.push(...await client.batch(checkedBatch(chunk, checkedOf, from), { timeout: left() }));
    } catch (err) {
      if (from === 0 && !(err instanceof IpvsPartialError)) throw err;
      const cause = err instanceof IpvsPartialError ? err.cause : err;
      if (!(cause instanceof IpvsError)) throw err;
      // A chunk cut short reports each of its operations.
      if (err instanceof IpvsPartialError) stop(cause, err.results as BatchResult[], err.notSent);
      stop(cause, [], 0);
    }
  }
  return results;
}

/** The error an aborted apply's unsent operations carry: ECANCELED, caused by the signal's reason. */
function aborted(signal: AbortSignal): IpvsError {
  return new IpvsError(os.errno.ECANCELED, { operation: 'batch', object: 'apply', stage: STAGE_ABORTED }, { cause: signal.reason });
}

/** Sleeps ms; false when the signal ended the sleep (or had already). */
async function pause(ms: number, signal: AbortSignal | null): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
    return true;
  } catch {
    return false;
  }
}

/**
 * The steps' operations as a batch checked once: diff's adds and removals carry their checked form
 * (made from the tables' own keys and configs), the rest are checked here. Frozen all the way
 * down, so what was checked is what batch() sends (intern.ts).
 */
function checkedBatch(steps: readonly PlanStep[], checkedOf: CheckedOf, from: number): readonly BatchOperation[] {
  const ops = steps.map((step, i) => validatedOf(step, checkedOf, from + i));
  const operations = Object.freeze(steps.map((step) => deepFreeze(step.operation)));
  rememberValidatedBatch(operations, ops);
  return operations;
}

/** The checked operation of the step sent at an index, if diff made it. */
type CheckedOf = (index: number) => ValidatedOp | undefined;

/**
 * diff's checked operations by the index of the steps sent: the same index when the steps are
 * diff's own (nothing drains), else by step (drains add removals and leave finished drains out).
 */
function checkedLookup(planned: readonly PlanStep[], checked: readonly ValidatedOp[], sending: readonly PlanStep[]): CheckedOf {
  if (sending === planned) return (i) => checked[i];
  const byStep = new Map(planned.map((step, i) => [step, checked[i]]));
  return (i) => byStep.get(sending[i]);
}

function validatedOf(step: PlanStep, checkedOf: CheckedOf, index: number): ValidatedOp {
  return checkedOf(index) ?? validateOp(step.operation, `operations[${index}]`);
}

function outcomeOf(step: PlanStep, r: BatchResult): StepResult['outcome'] {
  if (r.ok) return 'applied';
  if (r.error.code === 'EEXIST' && step.action.startsWith('add-')) return 'existed';
  // Someone else removed it meanwhile: what a removal or drain wanted is true.
  if ((r.error.code === 'ESRCH' || r.error.code === 'ENOENT') && (step.action.startsWith('remove-') || step.action === 'drain-destination')) return 'gone';
  if (r.applied === 'unknown') return 'unknown';
  return r.sent === false ? 'not-sent' : 'failed';
}

/**
 * Whether two records hold the same: services compared by identity first (keys are interned),
 * written out only when the counts agree and an object differs; a count that differs says it.
 */
function sameRecord(a: OwnershipRecord, b: OwnershipRecord): boolean {
  if (a.services.length !== b.services.length || JSON.stringify(a.drains) !== JSON.stringify(b.drains)) return false;
  return a.services.every((k, i) => k === b.services[i]) || JSON.stringify(a.services) === JSON.stringify(b.services);
}

/** Owned services minus those removed (or found gone); declared ones stay owned. */
function afterRemovals(
  owned: ReadonlyMap<string, ServiceKey>, steps: readonly PlanStep[], sent: readonly BatchResult[], declared: Ids,
): ReadonlyMap<string, ServiceKey> {
  // Most passes remove no service: no copy of 10,000 entries then.
  if (!steps.some((step) => step.action === 'remove-service')) return owned;
  const out = new Map(owned);
  steps.forEach((step, i) => {
    if (step.action !== 'remove-service' || !sent[i]) return;
    const outcome = outcomeOf(step, sent[i]);
    const id = serviceId(serviceKey(step.service));
    if ((outcome === 'applied' || outcome === 'gone') && !declared.has(id)) out.delete(id);
  });
  return out;
}
