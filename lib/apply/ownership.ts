/** Where the ownership record lives: a file, a caller's store, or this client's memory. */
import { IpvsValidationError } from '../errors';
import { deepFreeze } from '../intern';
import { onlyKeys, own, plainObject } from '../validate/primitives';
import { checkRecord, emptyRecord } from './record';
import { fileStore } from './record-file';
import type { OwnershipRecord, OwnershipStore } from './types';

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
