/** Where the ownership record lives: a file, a caller's store, or this client's memory. */
import { IpvsValidationError } from '../errors';
import { onlyKeys, own, plainObject } from '../validate/primitives';
import { checkRecord, emptyRecord } from './record';
import { fileStore } from './record-file';
import type { OwnershipRecord, OwnershipStore } from './types';

/** Records of clients given no store, so drains started by one apply are known to the next on the same client. */
const memory = new WeakMap<object, OwnershipRecord>();

function memoryStore(owner: object): OwnershipStore {
  return {
    load: async () => memory.get(owner) ?? emptyRecord(),
    save: async (record) => void memory.set(owner, record),
  };
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

/** A store's record, checked. */
export async function loadRecord(store: OwnershipStore): Promise<OwnershipRecord> {
  return checkRecord(await store.load());
}
