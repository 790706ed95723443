/**
 * Lookups into the rules code's tables by words of the input. Own keys only: a line saying
 * `--tun-type toString` (or `constructor`, `__proto__`) must find nothing, not Object.prototype's.
 */
import { IpvsValidationError } from '../errors';

export function own<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** own(), or an IpvsValidationError naming the field when the key is not in the table. */
export function ownOrRefuse<V>(table: Readonly<Record<string, V>>, key: string, field: string): V {
  const value = own(table, key);
  if (value === undefined) throw new IpvsValidationError(field, key, `one of ${Object.keys(table).map((k) => `'${k}'`).join(', ')}`);
  return value;
}
