/**
 * Turning batch operations into kernel requests, in two steps:
 * validateOp() checks everything that needs no kernel state, before the call
 * is queued; BatchPlan then reads what updates patch (only the services and
 * destinations they touch) and builds the requests. Updates are patches: the
 * kernel's SET commands replace every field, so the current values fill in
 * whatever the caller left out.
 *
 * An update whose base an earlier operation of the same batch writes can only
 * be computed once that operation's outcome is known (an add may meet EEXIST,
 * and then the base is what the kernel already held). So the batch goes out in
 * parts, cut before each such update; if an operation of a part does not take
 * effect, the rest is planned again from what the kernel holds. Batches
 * without such updates (restores of saved rules) are one part.
 */
import { constants as os } from 'node:os';
import type { NativeRequest } from './binding';
import { CMD } from './constants';
import { nativeDestination, nativeService, nativeServiceKey } from './convert';
import { describeDestination, describeService } from './describe';
import type { ErrorContext, Operation } from './errors';
import { IpvsValidationError } from './errors';
import { destinationId, serviceId } from './keys';
import type { BatchOperation, DestinationConfig, ServiceConfig } from './types';
import {
  destinationConfig, destinationKey, destinationPatch, mergeDestination, type DestinationPatch, type NormalizedDestinationKey,
} from './validate/destination';
import { onlyKeys, oneOf, own, plainObject } from './validate/primitives';
import {
  mergeService, publicServiceKey, serviceConfig, serviceKey, servicePatch, type NormalizedServiceKey, type ServicePatch,
} from './validate/service';

/** Writes that are no table change: the client's setting calls and restore's setting lines. */
export type SettingKind = 'setTimeouts' | 'startDaemon' | 'stopDaemon';

/** One operation, fully checked. Frozen: parsed rules share theirs across restores. */
export interface ValidatedOp {
  readonly operation: BatchOperation;
  readonly kind: BatchOperation['op'] | SettingKind;
  readonly service?: NormalizedServiceKey;
  readonly destination?: NormalizedDestinationKey;
  /** Adds: the full config. Updates: set on the planned copy, from the patch and the current config. */
  readonly serviceConfig?: ServiceConfig;
  readonly destinationConfig?: DestinationConfig;
  /** Updates: the checked options. */
  readonly servicePatch?: ServicePatch;
  readonly destinationPatch?: DestinationPatch;
  /** An update that is invalid over the state it would patch (found when planned again after a failure). */
  readonly refusal?: IpvsValidationError;
  readonly field: string;
  /** Settings: the request, built when checked, and what their errors name. */
  readonly setting?: { readonly request: NativeRequest; readonly context: ErrorContext };
}

export interface PlannedOp {
  operation: BatchOperation;
  /** For contextOf(), called only when the operation fails: describing 50,000 successes costs more than sending them. */
  validated: ValidatedOp;
  /** Absent when the outcome is known without asking (an update of something that does not exist). */
  request?: NativeRequest;
  knownErrno?: number;
}

/** Reads the current state that updates patch. */
export interface StateReader {
  serviceConfig(key: NormalizedServiceKey): Promise<ServiceConfig | null>;
  /** Current destinations of a service by destinationId, or null when the service does not exist. */
  destinationConfigs(key: NormalizedServiceKey): Promise<Map<string, DestinationConfig> | null>;
}

const OPS: readonly BatchOperation['op'][] = [
  'addService', 'updateService', 'deleteService', 'addDestination', 'updateDestination', 'deleteDestination', 'zero', 'flush',
];

const FIELDS: Readonly<Record<BatchOperation['op'], readonly string[]>> = {
  addService: ['op', 'service', 'options'],
  updateService: ['op', 'service', 'options'],
  deleteService: ['op', 'service'],
  addDestination: ['op', 'service', 'destination', 'options'],
  updateDestination: ['op', 'service', 'destination', 'options'],
  deleteDestination: ['op', 'service', 'destination'],
  zero: ['op', 'service'],
  flush: ['op'],
};

function at(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** Checks one operation; prefix names it in errors (e.g. "operations[3]"). */
export function validateOp(value: unknown, prefix: string): ValidatedOp {
  const obj = plainObject(value, prefix || 'operation');
  const kind = oneOf(own(obj, 'op'), at(prefix, 'op'), OPS);
  onlyKeys(obj, FIELDS[kind], prefix || 'operation');
  const operation = obj as BatchOperation;
  if (kind === 'flush') return Object.freeze({ operation, kind, field: prefix });
  const given = own(obj, 'service');
  const service = kind !== 'zero' || given !== undefined ? serviceKey(given, at(prefix, 'service')) : undefined;
  if (!service) return Object.freeze({ operation, kind, field: prefix });
  const options = own(obj, 'options');
  const optionsField = at(prefix, 'options');
  switch (kind) {
    case 'addService':
      return Object.freeze({
        operation, kind, service, field: prefix,
        serviceConfig: serviceConfig(options, service, null, optionsField, at(prefix, 'service')),
      });
    case 'updateService':
      return Object.freeze({
        operation, kind, service, field: prefix,
        servicePatch: freezePatch(servicePatch(options, service, optionsField, at(prefix, 'service'))),
      });
    case 'addDestination':
    case 'updateDestination':
    case 'deleteDestination': {
      const destField = at(prefix, 'destination');
      const destination = destinationKey(own(obj, 'destination'), destField);
      if (kind === 'addDestination') {
        const config = destinationConfig(options, service, destination, null, optionsField, destField);
        return Object.freeze({ operation, kind, service, destination, field: prefix, destinationConfig: config });
      }
      if (kind === 'updateDestination') {
        const patch = freezePatch(destinationPatch(options, service, destination, optionsField, destField));
        return Object.freeze({ operation, kind, service, destination, field: prefix, destinationPatch: patch });
      }
      return Object.freeze({ operation, kind, service, destination, field: prefix });
    }
    default:
      return Object.freeze({ operation, kind, service, field: prefix });
  }
}

/** An update's patch is kept until planned (maybe twice): frozen all the way down. */
function freezePatch<T extends object>(patch: T): T {
  for (const value of Object.values(patch)) if (typeof value === 'object' && value !== null) freezePatch(value);
  return Object.freeze(patch);
}

export function validateBatch(ops: unknown): ValidatedOp[] {
  if (!Array.isArray(ops)) throw new IpvsValidationError('operations', ops, 'an array of operations');
  // An index loop, not map(): map skips the holes of a sparse array, which would reach the planner unchecked.
  const out: ValidatedOp[] = new Array(ops.length);
  for (let i = 0; i < ops.length; i++) out[i] = validateOp(ops[i], `operations[${i}]`);
  return out;
}

/**
 * A setting as a one-operation batch, so that it is queued, planned, sent and reported (cut short
 * included) like any table change. Its `operation` never reaches a caller: the client unwraps the
 * result of a single operation into its error.
 */
export function settingOp(kind: SettingKind, request: NativeRequest, context: ErrorContext): ValidatedOp {
  const operation = { op: kind } as unknown as BatchOperation;
  return Object.freeze({ operation, kind, field: '', setting: Object.freeze({ request, context: Object.freeze(context) }) });
}

export function contextOf(op: ValidatedOp): ErrorContext {
  if (op.setting) return { ...op.setting.context };
  const operation: Operation = op.kind;
  const object = op.destination
    ? describeDestination(publicServiceKey(op.service!), op.destination)
    : op.service ? describeService(publicServiceKey(op.service)) : 'all services';
  return {
    operation,
    object,
    scheduler: op.serviceConfig?.scheduler,
    persistenceEngine: op.serviceConfig?.persistenceEngine,
    reason: op.refusal?.message,
  };
}

/**
 * An update that patches what the kernel holds, so is planned over it. An update checked with its
 * whole config (apply's, made from a table: diff.ts) replaces every setting: nothing to read or merge.
 */
function isUpdate(op: ValidatedOp): boolean {
  return (op.kind === 'updateService' && op.serviceConfig === undefined) || (op.kind === 'updateDestination' && op.destinationConfig === undefined);
}

/**
 * What the batch has done so far to the state, so later updates patch the right base.
 * Entries written by the part being planned are pending: their outcome is not known yet.
 */
export class Overlay {
  private readonly services = new Map<string, ServiceConfig | null>();
  private readonly dests = new Map<string, DestinationConfig | null>();
  private readonly fetched = new Set<string>();
  private flushed = false;
  /** Services added or deleted by the pending part. */
  private readonly pendingExistence = new Set<string>();
  /** Services and destinations written (added, changed, deleted) by the pending part. */
  private readonly pendingWrites = new Set<string>();
  private pendingFlush = false;

  constructor(private readonly reader: StateReader) {}

  /** Whether an update's base depends on an operation of the pending part. */
  dependsOnPending(op: ValidatedOp): boolean {
    if (this.pendingFlush) return true;
    const sid = serviceId(op.service!);
    if (op.kind === 'updateService') return this.pendingWrites.has(sid);
    return this.pendingExistence.has(sid) || this.pendingWrites.has(destinationId(op.service!, op.destination!));
  }

  /** The pending part took effect as planned: what it wrote is now what the kernel holds. */
  settle(): void {
    this.pendingExistence.clear();
    this.pendingWrites.clear();
    this.pendingFlush = false;
  }

  async service(key: NormalizedServiceKey): Promise<ServiceConfig | null> {
    const id = serviceId(key);
    if (!this.services.has(id)) this.services.set(id, this.flushed ? null : await this.reader.serviceConfig(key));
    return this.services.get(id)!;
  }

  async destination(key: NormalizedServiceKey, dest: NormalizedDestinationKey): Promise<DestinationConfig | null | 'no-service'> {
    const sid = serviceId(key);
    if (!this.fetched.has(sid) && !this.flushed && this.services.get(sid) !== null) {
      this.fetched.add(sid);
      const current = await this.reader.destinationConfigs(key);
      if (current === null && !this.services.has(sid)) this.services.set(sid, null);
      for (const [id, config] of current ?? []) if (!this.dests.has(id)) this.dests.set(id, config);
    }
    if ((await this.service(key)) === null) return 'no-service';
    return this.dests.get(destinationId(key, dest)) ?? null;
  }

  /** An add or delete (config null) of a service; `changed` for an update, which keeps it existing. */
  setService(key: NormalizedServiceKey, config: ServiceConfig | null, changed = false): void {
    const sid = serviceId(key);
    this.services.set(sid, config);
    this.pendingWrites.add(sid);
    if (!changed) this.pendingExistence.add(sid);
    if (config === null) {
      const prefix = `${sid}>`;
      for (const id of this.dests.keys()) if (id.startsWith(prefix)) this.dests.set(id, null);
      this.fetched.add(sid);
    }
  }

  setDestination(key: NormalizedServiceKey, dest: NormalizedDestinationKey, config: DestinationConfig | null): void {
    const id = destinationId(key, dest);
    this.dests.set(id, config);
    this.pendingWrites.add(id);
  }

  flush(): void {
    this.services.clear();
    this.dests.clear();
    this.flushed = true;
    this.pendingFlush = true;
  }
}

function lastUpdateOf(ops: readonly ValidatedOp[]): number {
  for (let i = ops.length - 1; i >= 0; i--) if (isUpdate(ops[i])) return i;
  return -1;
}

/**
 * Plans one part: ops from `from` up to (not including) the first update whose base a pending
 * operation writes. strict: an update invalid over its base throws; otherwise it is planned as
 * refused (EINVAL, not sent). lastUpdate: index of the batch's last update, after which nothing
 * reads the overlay (a restore of saved rules has none at all and never keeps one).
 */
async function planPart(
  ops: readonly ValidatedOp[], from: number, overlay: Overlay, strict: boolean, lastUpdate: number,
): Promise<PlannedOp[]> {
  const part: PlannedOp[] = [];
  for (let i = from; i < ops.length; i++) {
    const op = ops[i];
    if (i > lastUpdate) {
      part.push({ operation: op.operation, validated: op, request: requestOf(op) });
      continue;
    }
    if (i > from && isUpdate(op) && overlay.dependsOnPending(op)) break;
    part.push(await planOne(op, overlay, strict));
  }
  return part;
}

async function planOne(op: ValidatedOp, overlay: Overlay, strict: boolean): Promise<PlannedOp> {
  const svc = op.service!;
  const dst = op.destination!;
  const known = (errno: number, validated = op): PlannedOp => ({ operation: op.operation, validated, knownErrno: errno });
  const refused = (err: unknown): PlannedOp => {
    if (strict || !(err instanceof IpvsValidationError)) throw err;
    return known(os.errno.EINVAL, Object.freeze({ ...op, refusal: err }));
  };
  let validated = op;
  switch (op.kind) {
    case 'updateService': {
      if (op.serviceConfig) {
        overlay.setService(svc, op.serviceConfig, true);
        break;
      }
      const base = await overlay.service(svc);
      if (base === null) return known(os.errno.ESRCH);
      let config: ServiceConfig;
      try {
        config = mergeService(op.servicePatch!, svc, base, at(op.field, 'options'), at(op.field, 'service'));
      } catch (err) {
        return refused(err);
      }
      validated = Object.freeze({ ...op, serviceConfig: config });
      overlay.setService(svc, config, true);
      break;
    }
    case 'updateDestination': {
      if (op.destinationConfig) {
        overlay.setDestination(svc, dst, op.destinationConfig);
        break;
      }
      const base = await overlay.destination(svc, dst);
      if (base === 'no-service' || base === null) return known(base === null ? os.errno.ENOENT : os.errno.ESRCH);
      let config: DestinationConfig;
      try {
        config = mergeDestination(op.destinationPatch!, svc, dst, base, at(op.field, 'options'), at(op.field, 'destination'));
      } catch (err) {
        return refused(err);
      }
      validated = Object.freeze({ ...op, destinationConfig: config });
      overlay.setDestination(svc, dst, config);
      break;
    }
    case 'addService':
      overlay.setService(svc, op.serviceConfig!);
      break;
    case 'deleteService':
      overlay.setService(svc, null);
      break;
    case 'addDestination':
      overlay.setDestination(svc, dst, op.destinationConfig!);
      break;
    case 'deleteDestination':
      overlay.setDestination(svc, dst, null);
      break;
    case 'flush':
      overlay.flush();
      break;
    default:
      break;
  }
  return { operation: op.operation, validated, request: requestOf(validated) };
}

/**
 * A batch's parts, handed out one at a time as the previous one's outcome is known. The whole
 * batch is planned first assuming every operation takes effect (so an update invalid even then
 * throws before anything is sent); once an operation does not, each later part is planned when
 * its turn comes, from what the kernel holds and the parts that took effect since.
 */
export class BatchPlan {
  private readonly lastUpdate: number;
  /** The plan made up front; dropped at the first operation that does not take effect. */
  private parts: PlannedOp[][] | null;
  private given = 0;
  /** Planning from the kernel's state, once the plan made up front was dropped. */
  private overlay: Overlay | null = null;
  private last: PlannedOp[] | null = null;
  /** Operations handed out. */
  private done = 0;

  private constructor(private readonly ops: readonly ValidatedOp[], private readonly reader: StateReader, parts: PlannedOp[][], lastUpdate: number) {
    this.parts = parts;
    this.lastUpdate = lastUpdate;
  }

  /** Plans every operation, reading what updates patch; throws IpvsValidationError for an invalid one. Sends nothing. */
  static async create(ops: readonly ValidatedOp[], reader: StateReader): Promise<BatchPlan> {
    const lastUpdate = lastUpdateOf(ops);
    const overlay = new Overlay(reader);
    const parts: PlannedOp[][] = [];
    for (let from = 0; from < ops.length;) {
      const part = await planPart(ops, from, overlay, true, lastUpdate);
      parts.push(part);
      from += part.length;
      overlay.settle();
    }
    return new BatchPlan(ops, reader, parts, lastUpdate);
  }

  /**
   * The next part to send, or null when none is left. outcomes: the results of the part handed
   * out last; if one of its sent operations did not take effect, what follows is planned again.
   */
  async next(outcomes?: readonly { ok: boolean }[]): Promise<PlannedOp[] | null> {
    if (this.done >= this.ops.length) return null;
    if (this.last && outcomes && this.last.some((p, i) => p.request !== undefined && !outcomes[i]?.ok)) {
      this.parts = null;
      this.overlay = new Overlay(this.reader);
    } else {
      this.overlay?.settle();
    }
    const part = this.parts
      ? this.parts[this.given++]
      : await planPart(this.ops, this.done, this.overlay!, false, this.lastUpdate);
    this.done += part.length;
    this.last = part;
    return part;
  }

  /** Operations not handed out yet: when a batch ends early, these were not sent. */
  remaining(): readonly ValidatedOp[] {
    return this.ops.slice(this.done);
  }
}

const COMMANDS: Readonly<Record<BatchOperation['op'], number>> = {
  addService: CMD.NEW_SERVICE,
  updateService: CMD.SET_SERVICE,
  deleteService: CMD.DEL_SERVICE,
  addDestination: CMD.NEW_DEST,
  updateDestination: CMD.SET_DEST,
  deleteDestination: CMD.DEL_DEST,
  zero: CMD.ZERO,
  flush: CMD.FLUSH,
};

export function requestOf(op: ValidatedOp): NativeRequest {
  if (op.setting) return op.setting.request;
  const request: NativeRequest = { cmd: COMMANDS[op.kind as BatchOperation['op']] };
  if (op.service)
    request.service = op.serviceConfig ? nativeService(op.service, op.serviceConfig) : nativeServiceKey(op.service);
  if (op.destination) request.destination = nativeDestination(op.destination, op.destinationConfig);
  return request;
}
