/** Where the ownership record lives: a file, a caller's store, or this client's memory. */
import { IpvsValidationError } from '../errors';
import { deepFreeze } from '../intern';
import { serviceId } from '../keys';
import type { Table } from '../table/table';
import type { ServiceKey } from '../types';
import { publicServiceKey, serviceKey } from '../validate/service';
import { onlyKeys, own, plainObject } from '../validate/primitives';
import { checkRecord, emptyRecord } from './record';
import { fileStore } from './record-file';
import type { DrainRecord, OwnershipRecord, OwnershipStore } from './types';

/** Records of clients given no store, so drains started by one apply are known to the next on the same client. */
const memory = new WeakMap<object, OwnershipRecord>();

/** Stores whose records only apply wrote (checked when made): loaded without checking 10,000 keys again. */
const trusted = new WeakSet<OwnershipStore>();

function memoryStore(owner: object): OwnershipStore {
  const store: OwnershipStore = {
    load: async () => memory.get(owner) ?? emptyRecord(),
    // Frozen: status() hands its keys and drains to callers, and this record is loaded unchecked.
    save: async (record) => void memory.set(owner, deepFreeze(record)),
  };
  trusted.add(store);
  return store;
}

/** The store options.ownership names (checked), or this client's memory. */
export function storeOf(value: unknown, owner: object): OwnershipStore {
  if (value === undefined) return memoryStore(owner);
  const obj = plainObject(value, 'options.ownership');
  const file = own(obj, 'file');
  if (file !== undefined) {
    onlyKeys(obj, ['file'], 'options.ownership');
    if (typeof file !== 'string' || file === '' || file.includes('\0'))
      throw new IpvsValidationError('options.ownership.file', file, 'a file path');
    return fileStore(file);
  }
  const load = own(obj, 'load');
  const save = own(obj, 'save');
  if (typeof load !== 'function' || typeof save !== 'function')
    throw new IpvsValidationError('options.ownership', value, '{ file } or a store with load() and save()');
  return { load: () => (load as OwnershipStore['load']).call(obj), save: (r) => (save as OwnershipStore['save']).call(obj, r) };
}

/** A store's record, checked (a file or a caller's store is input; this client's memory is not). */
export async function loadRecord(store: OwnershipStore): Promise<OwnershipRecord> {
  const record = await store.load();
  return trusted.has(store) ? record as OwnershipRecord : checkRecord(record);
}

/** Each record's services by id, worked out once per record (the records apply makes come with theirs). */
const indexes = new WeakMap<OwnershipRecord, ReadonlyMap<string, ServiceKey>>();

export function ownedIndex(record: OwnershipRecord): ReadonlyMap<string, ServiceKey> {
  let index = indexes.get(record);
  if (!index) {
    index = new Map(record.services.map((k) => [serviceId(serviceKey(k)), k]));
    indexes.set(record, index);
  }
  return index;
}

/** The tables whose every service a record owns already, by the same key objects. */
const covered = new WeakMap<OwnershipRecord, WeakSet<Table>>();

/**
 * The services owned once `want`'s are: the record's own index when it holds them all already
 * (every apply after the first of a table: no copy of 10,000 entries, each table checked once).
 */
export function owning(record: OwnershipRecord, want: Table): ReadonlyMap<string, ServiceKey> {
  const before = ownedIndex(record);
  if (covered.get(record)?.has(want)) return before;
  let owned: Map<string, ServiceKey> | undefined;
  // By id, not through want.services(): no sorting, no key validated again.
  for (const [id, s] of want.byId) {
    const key = publicServiceKey(s.key);
    if ((owned ?? before).get(id) === key) continue;
    owned ??= new Map(before);
    owned.set(id, key);
  }
  if (owned) return owned;
  if (!covered.has(record)) covered.set(record, new WeakSet());
  covered.get(record)!.add(want);
  return before;
}

/** The record of these owned services and drains: `previous` itself when it holds exactly them. */
export function recordOf(owned: ReadonlyMap<string, ServiceKey>, drains: DrainRecord[], previous: OwnershipRecord): OwnershipRecord {
  if (owned === ownedIndex(previous) && JSON.stringify(drains) === JSON.stringify(previous.drains)) return previous;
  const record: OwnershipRecord = { version: 1, services: [...owned.values()], drains };
  indexes.set(record, owned);
  return record;
}
