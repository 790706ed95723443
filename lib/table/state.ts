/**
 * A table being built or changed: the fold of batch operations into a state, with the outcomes
 * the kernel would give. Mutable and owned by whoever made it (a Table constructor, or
 * Table.apply on its own copy); a Table is then made of its services and never changed again.
 *
 * Services untouched by the fold are shared with the table it started from; a service the fold
 * changes is copied once (copy on first write), so a fold of n operations costs one copy of the
 * service map plus one copy of each service it changes, not n copies of the table.
 */
import { endpointId, serviceId } from '../keys';
import type { ValidatedOp } from '../plan';
import type { DestinationConfig, ServiceConfig } from '../types';
import { copyDestinationConfig, copyServiceConfig } from './config';
import { mergeDestination, type NormalizedDestinationKey } from '../validate/destination';
import { mergeService, type NormalizedServiceKey } from '../validate/service';

export interface TableDestination {
  readonly key: NormalizedDestinationKey;
  readonly config: DestinationConfig;
}

export interface TableService {
  readonly key: NormalizedServiceKey;
  readonly config: ServiceConfig;
  /** By endpointId (keys.ts): address and port. */
  readonly destinations: ReadonlyMap<string, TableDestination>;
}

/** What the kernel answers an operation with: ok, or the errno it would refuse it with. */
export type FoldOutcome = { ok: true } | { ok: false; code: 'EEXIST' | 'ESRCH' | 'ENOENT' };

const OK: FoldOutcome = Object.freeze({ ok: true });
const refused = (code: 'EEXIST' | 'ESRCH' | 'ENOENT'): FoldOutcome => ({ ok: false, code });

interface OwnedService {
  key: NormalizedServiceKey;
  config: ServiceConfig;
  destinations: Map<string, TableDestination>;
}

export class TableState {
  readonly services: Map<string, TableService>;
  /** Services this state copied (or created): changed in place from then on. */
  private readonly owned = new Set<string>();

  constructor(from?: ReadonlyMap<string, TableService>) {
    this.services = new Map(from);
  }

  /** Applies one checked operation as the kernel would. Throws IpvsValidationError for an update invalid over its base. */
  apply(op: ValidatedOp): FoldOutcome {
    if (op.kind === 'flush') {
      this.services.clear();
      this.owned.clear();
      return OK;
    }
    if (!op.service) return OK; // zero of every service: counters only
    const sid = serviceId(op.service);
    const current = this.services.get(sid);
    switch (op.kind) {
      case 'addService':
        if (current) return refused('EEXIST');
        this.services.set(sid, { key: op.service, config: copyServiceConfig(op.serviceConfig!), destinations: new Map() });
        this.owned.add(sid);
        return OK;
      case 'updateService': {
        if (!current) return refused('ESRCH');
        const config = mergeService(op.servicePatch!, op.service, current.config, optionsField(op), serviceField(op));
        this.own(sid, current).config = copyServiceConfig(config);
        return OK;
      }
      case 'deleteService':
        if (!current) return refused('ESRCH');
        this.services.delete(sid);
        this.owned.delete(sid);
        return OK;
      case 'zero':
        return current ? OK : refused('ESRCH');
      default:
        return current ? this.applyDestination(op, sid, current) : refused('ESRCH');
    }
  }

  private applyDestination(op: ValidatedOp, sid: string, service: TableService): FoldOutcome {
    const did = endpointId(op.destination!);
    const current = service.destinations.get(did);
    switch (op.kind) {
      case 'addDestination':
        if (current) return refused('EEXIST');
        this.own(sid, service).destinations.set(did, Object.freeze({ key: op.destination!, config: copyDestinationConfig(op.destinationConfig!) }));
        return OK;
      case 'updateDestination': {
        if (!current) return refused('ENOENT');
        const config = mergeDestination(
          op.destinationPatch!, op.service!, op.destination!, current.config, optionsField(op), `${op.field ? `${op.field}.` : ''}destination`,
        );
        this.own(sid, service).destinations.set(did, Object.freeze({ key: current.key, config: copyDestinationConfig(config) }));
        return OK;
      }
      default: // deleteDestination
        if (!current) return refused('ENOENT');
        this.own(sid, service).destinations.delete(did);
        return OK;
    }
  }

  /** The service as this state's own copy, made on first write. */
  private own(sid: string, service: TableService): OwnedService {
    if (this.owned.has(sid)) return service as OwnedService;
    const copy: OwnedService = { key: service.key, config: service.config, destinations: new Map(service.destinations) };
    this.services.set(sid, copy);
    this.owned.add(sid);
    return copy;
  }
}

function optionsField(op: ValidatedOp): string {
  return op.field ? `${op.field}.options` : 'options';
}

function serviceField(op: ValidatedOp): string {
  return op.field ? `${op.field}.service` : 'service';
}
