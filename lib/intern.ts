/**
 * The one interning layer for bulk work (a 10,000-service restore, a 50,000-line rules text):
 * parse, validate and convert share what it holds instead of each keeping a cache.
 *
 * What it buys: bulk input repeats itself. A service's address appears on its -A line and on
 * every -a line, and without this its key would be checked, normalized and turned into the
 * addon's form once per line and per operation. Interned, each address reaches the addon's inet_pton once, each service has one frozen public
 * key, one normalized key and one native key, shared by all its lines and operations: less work,
 * and far fewer objects (every object is memory, and in the sandbox, page faults).
 *
 * Two stores, each with a stated bound and lifetime:
 * - by text: address text -> its canonical form, service identity (keys.ts) -> its interned
 *   keys, and a service's or destination's config content -> its one frozen copy (table/config.ts).
 *   Process-wide, at most INTERN_LIMIT (32,768) entries in all; when full it is emptied (one clear,
 *   not an eviction per entry: bulk work refills what it uses within a few lines). Emptying only
 *   costs work again: nothing depends on two lookups returning one object.
 * - by frozen object: what was derived from an object that cannot change (a key's interned
 *   record, the validated operations of the rules parseRules returned). A WeakMap: an entry lives
 *   exactly as long as its object. Only frozen objects are entered, so a fact cannot go stale: a
 *   changed copy is another object, found in neither store, and is validated again.
 */
import type { NativeService } from './binding';
import { serviceId } from './keys';
import type { DestinationConfig, Family, ServiceConfig, ServiceKey } from './types';
import type { NormalizedServiceKey } from './validate/service';

/**
 * Entries of the text store, addresses and services together. The bench's 10,000-service table
 * (10,000 service addresses, 10,000 identities, a few real-server addresses) fits; full, it holds
 * about 10 MB (IPv6 services, measured). A bigger table empties it on the way, which costs little:
 * rules text keeps a service's lines together, so only the service at hand is looked up again.
 */
export const INTERN_LIMIT = 32768;

/** An address as validated: its family, and its text as inet_ntop prints it. Frozen. */
export interface CheckedAddress {
  readonly family: Family;
  readonly address: string;
}

/** One service's keys, shared by every line and operation that names it. */
export class InternedService {
  /** The addon's form, made on first use (convert.ts); frozen. */
  native: Readonly<NativeService> | undefined;

  constructor(
    /** Every field filled, the address canonical; frozen. */
    readonly key: Readonly<NormalizedServiceKey>,
    /** As the public API and parseRules spell it; frozen. */
    readonly publicKey: Readonly<ServiceKey>,
  ) {}
}

const addresses = new Map<string, CheckedAddress>();
const services = new Map<string, InternedService>();
const destinationConfigs = new Map<string, DestinationConfig>();
const serviceConfigs = new Map<string, ServiceConfig>();

function makeRoom(): void {
  if (addresses.size + services.size + destinationConfigs.size + serviceConfigs.size < INTERN_LIMIT) return;
  addresses.clear();
  services.clear();
  destinationConfigs.clear();
  serviceConfigs.clear();
}

/** The one object of a store with this content (`id`), made by `make` the first time. */
function intern<T>(store: Map<string, T>, id: string, make: () => T): T {
  let value = store.get(id);
  if (value === undefined) {
    makeRoom();
    store.set(id, (value = make()));
  }
  return value;
}

/** The one frozen destination config with this content (`id`, as table/config.ts spells it). */
export function internDestinationConfig(id: string, make: () => DestinationConfig): DestinationConfig {
  return intern(destinationConfigs, id, make);
}

/** The one frozen service config with this content (as table/config.ts spells it). */
export function internServiceConfig(id: string, make: () => ServiceConfig): ServiceConfig {
  return intern(serviceConfigs, id, make);
}

/** The checked form of an address text seen before, or undefined. */
export function knownAddress(text: string): CheckedAddress | undefined {
  return addresses.get(text);
}

/** Records the checked form of an address text (validate/primitives address() alone calls this). */
export function internAddress(text: string, checked: CheckedAddress): CheckedAddress {
  makeRoom();
  const frozen = Object.freeze({ family: checked.family, address: checked.address });
  addresses.set(text, frozen);
  return frozen;
}

/** The service with this identity (keys.ts), if interned. */
export function knownService(id: string): InternedService | undefined {
  return services.get(id);
}

/**
 * The interned keys of a normalized (validated) service key: the record already held for its
 * identity, or a new one. Two spellings of one address, once canonical, give one record. `id` is
 * the key's identity (keys.ts serviceId) when the caller has it already. `fresh`: the key was just
 * made by the validator and nobody else holds it, so it is frozen as it is, not copied.
 */
export function internService(key: NormalizedServiceKey, id = serviceId(key), fresh = false): InternedService {
  const known = services.get(id);
  if (known) return known;
  makeRoom();
  // Otherwise a copy: the caller's object stays the caller's, and may be neither frozen nor plain.
  const normalized: NormalizedServiceKey = fresh ? key : key.kind === 'fwmark'
    ? { kind: 'fwmark', family: key.family, fwmark: key.fwmark }
    : { kind: 'address', family: key.family, protocol: key.protocol, address: key.address, port: key.port };
  const publicKey: ServiceKey = key.kind === 'fwmark'
    ? { fwmark: key.fwmark, family: key.family }
    : { protocol: key.protocol, address: key.address, port: key.port };
  const record = new InternedService(Object.freeze(normalized), Object.freeze(publicKey));
  derived.set(record.key, record);
  derived.set(record.publicKey, record);
  services.set(id, record);
  return record;
}

/** The validated operations of a frozen object (the rules array parseRules returned). */
class Validated {
  constructor(readonly ops: readonly unknown[]) {}
}

/** A batch's operations validated (apply's, made from a Table's checked keys and configs). */
class ValidatedBatch {
  constructor(readonly ops: readonly unknown[]) {}
}

/** Facts about frozen objects; see the file's comment. */
const derived = new WeakMap<object, InternedService | Validated | ValidatedBatch>();

/** The interned record of a service key object (public or normalized) that is one, else undefined. */
export function serviceOf(value: object): InternedService | undefined {
  const fact = derived.get(value);
  return fact instanceof InternedService ? fact : undefined;
}

/**
 * Remembers that `frozen` (deeply frozen: nothing in it can change) was validated into `ops`.
 * Refuses an object that is not frozen: what it holds could change after the check.
 */
export function rememberValidated<T>(frozen: object, ops: readonly T[]): void {
  if (!Object.isFrozen(frozen)) throw new TypeError('only a frozen object can be remembered as validated');
  derived.set(frozen, new Validated(ops));
}

/** The operations `value` was validated into, if it is an object rememberValidated was given. */
export function validatedOf<T>(value: object): readonly T[] | undefined {
  const fact = derived.get(value);
  return fact instanceof Validated ? (fact.ops as readonly T[]) : undefined;
}

/**
 * Remembers that the frozen operations array `frozen` (each operation deeply frozen too) was
 * validated into `ops`, one per operation: batch() then takes them without checking each again.
 */
export function rememberValidatedBatch<T>(frozen: readonly object[], ops: readonly T[]): void {
  if (!Object.isFrozen(frozen) || frozen.length !== ops.length) throw new TypeError('only a frozen array can be remembered as a validated batch');
  derived.set(frozen, new ValidatedBatch(ops));
}

/** The validated operations of an array rememberValidatedBatch was given, else undefined. */
export function validatedBatchOf<T>(value: unknown): readonly T[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const fact = derived.get(value);
  return fact instanceof ValidatedBatch ? (fact.ops as readonly T[]) : undefined;
}

/** Entries in the text store (for tests and the bench). */
export function internedCount(): number {
  return addresses.size + services.size;
}

/** Freezes value and everything it holds (what is already frozen is taken as frozen all the way down). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  // An array walked in place: Object.values would copy it (an ownership record's 10,000 keys).
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  else for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
