/**
 * Table: an IPVS table as data. Services keyed by their identity (keys.ts serviceId), each with
 * its full config and its destinations keyed by address and port. Immutable: apply() returns a
 * new Table and leaves this one as it was; what the read methods return is frozen.
 *
 * Built from the kernel's listing, from ipvsadm rules text, or from plain objects; see
 * from-objects.ts for the last, and diff.ts for comparing two tables.
 */
import { IpvsRulesError, IpvsValidationError } from '../errors';
import { endpointId, serviceId } from '../keys';
import { validateOp, type ValidatedOp } from '../plan';
import { parseRules } from '../rules/parse';
import { formatRules } from '../rules/format';
import { isSettingOperation } from '../rules/settings';
import { sortDestinations, sortServices } from '../rules/order';
import type {
  BatchOperation, DestinationConfig, DestinationKey, FormatOptions, ParsedRule, RulesService, ServiceConfig, ServiceEntry, ServiceKey,
} from '../types';
import { destinationKey } from '../validate/destination';
import { own, plainObject } from '../validate/primitives';
import { publicServiceKey, serviceKey } from '../validate/service';
import { copyDestinationConfig, copyServiceConfig, destinationOptionsOf, serviceOptionsOf } from './config';
import { desiredState } from './from-objects';
import { listingServices } from './listing';
import type { PackedListing } from './packed';
import { TableState, type FoldOutcome, type TableService } from './state';
import type { DesiredTable } from './types';

/** A service of a table as the read methods give it: public keys, frozen. */
export interface TableEntry {
  readonly key: ServiceKey;
  readonly config: ServiceConfig;
  readonly destinations: readonly { readonly key: DestinationKey; readonly config: DestinationConfig }[];
}

export class Table {
  /** By serviceId. Never changed after construction. */
  readonly #services: ReadonlyMap<string, TableService>;
  #entries: readonly TableEntry[] | undefined;

  /** @internal Use the static constructors. */
  private constructor(services: ReadonlyMap<string, TableService>) {
    this.#services = services;
  }

  /** @internal A table of a state's services; the state must not be used afterwards. */
  static of(state: TableState): Table {
    return new Table(state.services);
  }

  static empty(): Table {
    return new Table(new Map());
  }

  /**
   * The kernel's table as ipvs.getTable() returns it (stats and connection counts are ignored),
   * or any list of { key, config, destinations: [{ key, config }] }. Trusted as the kernel's
   * answer: keys are checked and made canonical, configs taken as they are. A key listed twice
   * (a torn dump) keeps its first listing.
   */
  static fromKernel(entries: readonly RulesService[]): Table {
    const services = new Map<string, TableService>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const key = serviceKey(entry.key, `entries[${i}].key`);
      const sid = serviceId(key);
      if (services.has(sid)) continue;
      const destinations = new Map<string, { key: ReturnType<typeof destinationKey>; config: DestinationConfig }>();
      entry.destinations.forEach((d, j) => {
        const dest = destinationKey(d.key, `entries[${i}].destinations[${j}].key`);
        const did = endpointId(dest);
        if (!destinations.has(did)) destinations.set(did, Object.freeze({ key: dest, config: copyDestinationConfig(d.config) }));
      });
      services.set(sid, { key, config: copyServiceConfig(entry.config), destinations });
    }
    return new Table(services);
  }

  /**
   * @internal apply's reading: ipvs.getTable()'s answer taken as it is, without validation (see
   * listing.ts for why that is safe, and Table.fromKernel for a list from anywhere else). What
   * equals `like`'s (the desired table) is `like`'s own object, so diff(table, like) skips it.
   */
  static fromListing(entries: readonly ServiceEntry[], like?: Table): Table {
    return new Table(listingServices(entries, like && like.#services));
  }

  /** @internal apply's packed reading (packed.ts), as fromListing takes the same listing as objects. */
  static fromPacked(listing: PackedListing, like?: Table): Table {
    const services = listing.services(like && like.#services);
    return like && services === like.#services ? like : new Table(services);
  }

  /**
   * Rules text (or parseRules()'s output) folded in order into an empty table, as `ipvsadm -R`
   * into an empty kernel would: -A -E -D -a -e -d -C change the table, -Z and the setting lines
   * (--set, --start-daemon, --stop-daemon) do not. A line the kernel would refuse (EEXIST,
   * ESRCH, ENOENT) makes it throw IpvsRulesError naming that line.
   */
  static fromRules(rules: string | readonly ParsedRule[]): Table {
    const parsed = typeof rules === 'string' ? parseRules(rules) : rules;
    if (!Array.isArray(parsed)) throw new IpvsValidationError('rules', rules, 'rules text or an array of parsed rules');
    const state = new TableState();
    for (let i = 0; i < parsed.length; i++) {
      const rule = plainObject(parsed[i], `rules[${i}]`) as unknown as ParsedRule;
      const operation = own(rule as never, 'operation');
      if (isSettingOperation(operation)) continue;
      const outcome = state.apply(validateOp(operation, `rules[${i}].operation`));
      if (!outcome.ok) throw new IpvsRulesError([{ line: rule.line, text: rule.text, reason: reasonOf(outcome.code, (operation as BatchOperation).op) }]);
    }
    return Table.of(state);
  }

  /** A desired table as plain objects, every field checked (IpvsValidationError naming its path); defaults as addService/addDestination. */
  static fromObjects(desired: DesiredTable): Table {
    return Table.of(desiredState(desired));
  }

  get size(): number {
    return this.#services.size;
  }

  /** @internal The services by serviceId, for diff(). */
  get byId(): ReadonlyMap<string, TableService> {
    return this.#services;
  }

  has(key: ServiceKey): boolean {
    return this.#services.has(serviceId(serviceKey(key)));
  }

  /** A service by key, or undefined. */
  service(key: ServiceKey): TableEntry | undefined {
    const s = this.#services.get(serviceId(serviceKey(key)));
    return s && entryOf(s);
  }

  /** Every service with its destinations, in the order ipvsadm lists them. */
  services(): readonly TableEntry[] {
    this.#entries ??= Object.freeze(sortServices([...this.#services.values()].map(entryOf)));
    return this.#entries;
  }

  /**
   * One batch operation applied as the kernel would apply it: a new table and the outcome
   * (EEXIST, ESRCH, ENOENT when the kernel would refuse it; then the table is this one).
   * Throws IpvsValidationError for an invalid operation, as the client's methods do.
   */
  apply(operation: BatchOperation): { table: Table; outcome: FoldOutcome } {
    const { table, outcomes } = this.applyAll([operation]);
    return { table, outcome: outcomes[0] };
  }

  /** Operations applied in order (each one even after another was refused), with each outcome. */
  applyAll(operations: readonly BatchOperation[]): { table: Table; outcomes: FoldOutcome[] } {
    const ops: ValidatedOp[] = operations.map((op, i) => validateOp(op, `operations[${i}]`));
    const state = new TableState(this.#services);
    const outcomes = ops.map((op) => state.apply(op));
    return { table: Table.of(state), outcomes };
  }

  /** The table as plain objects with every option spelled out: Table.fromObjects(t.toObjects()) equals t. */
  toObjects(): DesiredTable {
    return {
      services: this.services().map((s) => ({
        service: { ...s.key },
        options: serviceOptionsOf(s.config),
        destinations: s.destinations.map((d) => ({ destination: { ...d.key }, options: destinationOptionsOf(d.config) })),
      })),
    };
  }

  /** As ipvsadm rules text (formatRules: -x/-y kept unless options.thresholds is false). */
  toRules(options?: FormatOptions): string {
    return formatRules(this.services(), options);
  }

  /** Whether both hold the same services, destinations and configs. */
  equals(other: Table): boolean {
    return other.size === this.size && JSON.stringify(this.services()) === JSON.stringify(other.services());
  }
}

function entryOf(s: TableService): TableEntry {
  return Object.freeze({
    key: Object.freeze(publicServiceKey(s.key)),
    config: s.config,
    destinations: Object.freeze(sortDestinations(
      [...s.destinations.values()].map((d) => Object.freeze({ key: Object.freeze({ address: d.key.address, port: d.key.port }), config: d.config })),
    )),
  });
}

function reasonOf(code: string, op: string): string {
  const what = op.endsWith('Service') || op === 'zero' ? 'the service' : 'the destination';
  if (code === 'EEXIST') return `${what} already exists (EEXIST)`;
  if (code === 'ESRCH') return 'no such service (ESRCH)';
  return `no such destination (ENOENT)`;
}
