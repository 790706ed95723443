/**
 * The kernel's connection table (what `ipvsadm -Lnc` shows). The generic
 * netlink family has no connection dump: the table is read from
 * /proc/net/ip_vs_conn of the client's namespace, by the addon on a helper
 * thread that joined that namespace, within the call's deadline.
 * @internal
 */
import { native } from './binding';
import { MAX_TIMEOUT_MS } from './call';
import { parseConnectionFile, type ParsedConnection } from './connections-parse';
import type { ConnectionEntry, ConnectionOptions } from './types';
import { boolean, integer, onlyKeys, plainObject } from './validate/primitives';

export interface CheckedConnectionOptions {
  timeout: number;
  origin: boolean;
}

export function connectionOptions(options: ConnectionOptions | undefined, fallbackTimeout: number): CheckedConnectionOptions {
  if (options === undefined) return { timeout: fallbackTimeout, origin: false };
  const obj = plainObject(options, 'options');
  onlyKeys(obj, ['timeout', 'origin'], 'options');
  return {
    timeout: obj.timeout === undefined ? fallbackTimeout : integer(obj.timeout, 'options.timeout', 1, MAX_TIMEOUT_MS),
    origin: obj.origin === undefined ? false : boolean(obj.origin, 'options.origin'),
  };
}

/** The raw files: ip_vs_conn, and ip_vs_conn_sync after it when origins are asked for. */
export function readConnectionFiles(netns: string | null, o: CheckedConnectionOptions): Promise<Buffer[]> {
  return native().readProcNet(netns, o.origin ? ['ip_vs_conn', 'ip_vs_conn_sync'] : ['ip_vs_conn'], o.timeout);
}

/**
 * Entries in the kernel's order. With origins, the entries are those of
 * ip_vs_conn_sync (read right after ip_vs_conn); each takes its persistence
 * engine data from the ip_vs_conn entry with the same addresses and ports,
 * if that entry was still there.
 */
export function connectionsFrom(files: Buffer[], origin: boolean): ConnectionEntry[] {
  // latin1: one character per byte, so PE data (packet bytes) survives as it is.
  const conns = parseConnectionFile(files[0].toString('latin1'), 'ip_vs_conn');
  if (!origin) return conns.map(publicEntry);
  const pe = new Map(conns.map((c) => [c.id, c.persistenceEngine]));
  return parseConnectionFile(files[1].toString('latin1'), 'ip_vs_conn_sync')
    .map((c) => publicEntry({ ...c, persistenceEngine: pe.get(c.id) ?? null }));
}

function publicEntry({ id: _id, ...entry }: ParsedConnection): ConnectionEntry {
  return entry;
}
