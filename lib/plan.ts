/**
 * Turning batch operations into kernel requests, in two steps:
 * validate() checks everything that needs no kernel state, before the call
 * is queued; resolve() then reads what updates patch (only the services and
 * destinations they touch) and builds the requests. Updates are patches: the
 * kernel's SET commands replace every field, so the current values fill in
 * whatever the caller left out.
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
import { destinationConfig, destinationKey, type NormalizedDestinationKey } from './validate/destination';
import { onlyKeys, oneOf, plainObject } from './validate/primitives';
import { publicServiceKey, serviceConfig, serviceKey, type NormalizedServiceKey } from './validate/service';

export interface ValidatedOp {
  operation: BatchOperation;
  kind: BatchOperation['op'];
  service?: NormalizedServiceKey;
  destination?: NormalizedDestinationKey;
  /** Adds: the full config. Updates: filled by resolve(). */
  serviceConfig?: ServiceConfig;
  destinationConfig?: DestinationConfig;
  field: string;
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

const FIELDS: Record<BatchOperation['op'], readonly string[]> = {
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
  const kind = oneOf(obj.op, at(prefix, 'op'), OPS);
  onlyKeys(obj, FIELDS[kind], prefix || 'operation');
  const op: ValidatedOp = { operation: obj as BatchOperation, kind, field: prefix };
  if (kind === 'flush') return op;
  if (kind !== 'zero' || obj.service !== undefined) op.service = serviceKey(obj.service, at(prefix, 'service'));
  if (kind.endsWith('Destination')) op.destination = destinationKey(obj.destination, at(prefix, 'destination'));
  if (kind === 'addService')
    op.serviceConfig = serviceConfig(obj.options, op.service!, null, at(prefix, 'options'), at(prefix, 'service'));
  if (kind === 'addDestination')
    op.destinationConfig = destinationConfig(
      obj.options, op.service!, op.destination!, null, at(prefix, 'options'), at(prefix, 'destination'));
  if ((kind === 'updateService' || kind === 'updateDestination') && obj.options !== undefined)
    plainObject(obj.options, at(prefix, 'options'));
  return op;
}

export function validateBatch(ops: unknown): ValidatedOp[] {
  if (!Array.isArray(ops)) throw new IpvsValidationError('operations', ops, 'an array of operations');
  return ops.map((op, i) => validateOp(op, `operations[${i}]`));
}

export function contextOf(op: ValidatedOp): ErrorContext {
  const operation: Operation = op.kind;
  const object = op.destination
    ? describeDestination(publicServiceKey(op.service!), op.destination)
    : op.service ? describeService(publicServiceKey(op.service)) : 'all services';
  return {
    operation,
    object,
    scheduler: op.serviceConfig?.scheduler,
    persistenceEngine: op.serviceConfig?.persistenceEngine,
  };
}

/** What the batch has done so far to the state, so later updates patch the right base. */
class Overlay {
  private readonly services = new Map<string, ServiceConfig | null>();
  private readonly dests = new Map<string, DestinationConfig | null>();
  private readonly fetched = new Set<string>();
  private flushed = false;

  constructor(private readonly reader: StateReader) {}

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

  setService(key: NormalizedServiceKey, config: ServiceConfig | null): void {
    this.services.set(serviceId(key), config);
    if (config === null) {
      const prefix = `${serviceId(key)}>`;
      for (const id of this.dests.keys()) if (id.startsWith(prefix)) this.dests.set(id, null);
      this.fetched.add(serviceId(key));
    }
  }

  setDestination(key: NormalizedServiceKey, dest: NormalizedDestinationKey, config: DestinationConfig | null): void {
    this.dests.set(destinationId(key, dest), config);
  }

  flush(): void {
    this.services.clear();
    this.dests.clear();
    this.flushed = true;
  }
}

export async function resolve(ops: ValidatedOp[], reader: StateReader): Promise<PlannedOp[]> {
  // Only updates read the overlay: a batch without them (a restore of saved rules) skips keeping it.
  const tracking = ops.some((op) => op.kind === 'updateService' || op.kind === 'updateDestination');
  const overlay = new Overlay(reader);
  const planned: PlannedOp[] = [];
  for (const op of ops) {
    if (!tracking) {
      planned.push({ operation: op.operation, validated: op, request: requestOf(op) });
      continue;
    }
    const svc = op.service;
    const dst = op.destination;
    const known = (errno: number) => planned.push({ operation: op.operation, validated: op, knownErrno: errno });
    const options = (op.operation as { options?: unknown }).options;
    switch (op.kind) {
      case 'updateService': {
        const base = await overlay.service(svc!);
        if (base === null) {
          known(os.errno.ESRCH);
          continue;
        }
        op.serviceConfig = serviceConfig(options, svc!, base, at(op.field, 'options'), at(op.field, 'service'));
        break;
      }
      case 'updateDestination': {
        const base = await overlay.destination(svc!, dst!);
        if (base === 'no-service' || base === null) {
          known(base === null ? os.errno.ENOENT : os.errno.ESRCH);
          continue;
        }
        op.destinationConfig = destinationConfig(options, svc!, dst!, base, at(op.field, 'options'), at(op.field, 'destination'));
        break;
      }
      default:
        break;
    }
    if (op.kind === 'addService' || op.kind === 'updateService') overlay.setService(svc!, op.serviceConfig!);
    if (op.kind === 'deleteService') overlay.setService(svc!, null);
    if (op.kind === 'addDestination' || op.kind === 'updateDestination') overlay.setDestination(svc!, dst!, op.destinationConfig!);
    if (op.kind === 'deleteDestination') overlay.setDestination(svc!, dst!, null);
    if (op.kind === 'flush') overlay.flush();
    planned.push({ operation: op.operation, validated: op, request: requestOf(op) });
  }
  return planned;
}

const COMMANDS: Record<BatchOperation['op'], number> = {
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
  const request: NativeRequest = { cmd: COMMANDS[op.kind] };
  if (op.service)
    request.service = op.serviceConfig ? nativeService(op.service, op.serviceConfig) : nativeServiceKey(op.service);
  if (op.destination) request.destination = nativeDestination(op.destination, op.destinationConfig);
  return request;
}
