/**
 * The bytes of /proc/net/ip_vs_conn and ip_vs_conn_sync, parsed. The files are
 * input like any other: every field is checked, and each line must be exactly
 * what the kernel's seq_show functions print (net/netfilter/ipvs/ip_vs_conn.c):
 *
 *   "%-3s %08X %04X %08X %04X %s %04X %-11s %7u%s\n"    IPv4 (DestIP: %08X or %pI6)
 *   "%-3s %pI6 %04X %pI6 %04X %s %04X %-11s %7u%s\n"    IPv6
 *
 * where the last %s is "" or " PENAME PEDATA"; the sync file has "%-6s " (LOCAL
 * or SYNC) before the expiry and no PE data. A line that does not re-render to
 * itself is refused with EPROTO naming its line number.
 * @internal
 */
import { constants as os } from 'node:os';
import { IpvsError } from './errors';
import type { ConnectionEntry, ConnectionProtocol, Family } from './types';

export type ConnectionFile = 'ip_vs_conn' | 'ip_vs_conn_sync';

export const CONN_HEADER = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData';
export const SYNC_HEADER = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires';

/** A connection entry as one file shows it, before the files are joined. */
export interface ParsedConnection extends ConnectionEntry {
  /** Identity within one read, for joining ip_vs_conn with ip_vs_conn_sync. */
  id: string;
}

const PROTOCOLS = new Map<string, ConnectionProtocol>([
  ['TCP', 'tcp'], ['UDP', 'udp'], ['SCTP', 'sctp'], ['AH', 'ah'], ['ESP', 'esp'], ['IP', 'ip'],
]);

// IP_VS_PENAME_MAXLEN and IP_VS_PEDATA_MAXLEN, less the NUL.
const PE_NAME_MAX = 15;
const PE_DATA_MAX = 255;
const MAX_U32 = 0xffffffff;

const IPV4_HEX = /^[0-9A-F]{8}$/;
const IPV6_FULL = /^[0-9a-f]{4}(?::[0-9a-f]{4}){7}$/;
const PORT_HEX = /^[0-9A-F]{4}$/;
const STATE = /^[A-Z0-9_?!]{1,15}$/;
const DECIMAL = /^(?:0|[1-9]\d{0,9})$/;
const PE_NAME = /^[\x21-\x7e]+$/;

// Fields split on runs of spaces; the exact spacing is checked by re-rendering.
const CONN_LINE = /^(\S+) +(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) +(\S+)(?: (\S+) ([^\n]*))?$/;
const SYNC_LINE = /^(\S+) +(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) +(\S+) +(\S+)$/;

class BadLine extends Error {}

/** Parses a whole file; throws IpvsError EPROTO about the first bad line. */
export function parseConnectionFile(text: string, file: ConnectionFile): ParsedConnection[] {
  const lines = text.split('\n');
  // Every line ends with \n, so the text splits into lines plus one empty tail.
  if (lines.pop() !== '') fail(file, lines.length + 1, 'the last line has no newline');
  const header = file === 'ip_vs_conn' ? CONN_HEADER : SYNC_HEADER;
  if (lines[0] !== header) fail(file, 1, `expected the header ${JSON.stringify(header)}, got ${quote(lines[0] ?? '')}`);
  const out: ParsedConnection[] = [];
  for (let i = 1; i < lines.length; i++) {
    try {
      out.push(file === 'ip_vs_conn' ? connLine(lines[i]) : syncLine(lines[i]));
    } catch (err) {
      if (err instanceof BadLine) fail(file, i + 1, `${err.message} in ${quote(lines[i])}`);
      throw err;
    }
  }
  return out;
}

function fail(file: ConnectionFile, line: number, why: string): never {
  throw new IpvsError(os.errno.EPROTO, {
    operation: 'listConnections', object: `line ${line} of /proc/net/${file} (${why})`,
  });
}

/** Quoted, cut to a length an error message can carry. */
function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}

function connLine(line: string): ParsedConnection {
  const m = CONN_LINE.exec(line);
  if (!m) throw new BadLine('not the kernel\'s 9 or 11 fields');
  const [, pro, from, fport, to, tport, dest, dport, state, expires, peName, peData] = m;
  const entry = common(pro, from, fport, to, tport, dest, dport, state, expires);
  let pe = '';
  if (peName !== undefined) {
    if (peName.length > PE_NAME_MAX || !PE_NAME.test(peName)) throw new BadLine(`bad PEName ${quote(peName)}`);
    if (peData.length > PE_DATA_MAX) throw new BadLine(`PEData longer than ${PE_DATA_MAX} bytes`);
    entry.persistenceEngine = { name: peName, data: peData };
    pe = ` ${peName} ${peData}`;
  }
  const rendered = `${pro.padEnd(3)} ${from} ${fport} ${to} ${tport} ${dest} ${dport} ${state.padEnd(11)} ${expires.padStart(7)}${pe}`;
  if (rendered !== line) throw new BadLine('spacing differs from the kernel\'s format');
  return entry;
}

function syncLine(line: string): ParsedConnection {
  const m = SYNC_LINE.exec(line);
  if (!m) throw new BadLine('not the kernel\'s 10 fields');
  const [, pro, from, fport, to, tport, dest, dport, state, origin, expires] = m;
  const entry = common(pro, from, fport, to, tport, dest, dport, state, expires);
  if (origin !== 'LOCAL' && origin !== 'SYNC') throw new BadLine(`bad Origin ${quote(origin)}`);
  entry.origin = origin === 'LOCAL' ? 'local' : 'sync';
  const rendered = `${pro.padEnd(3)} ${from} ${fport} ${to} ${tport} ${dest} ${dport} ${state.padEnd(11)} ${origin.padEnd(6)} ${expires.padStart(7)}`;
  if (rendered !== line) throw new BadLine('spacing differs from the kernel\'s format');
  return entry;
}

function common(pro: string, from: string, fport: string, to: string, tport: string, dest: string, dport: string,
  state: string, expires: string): ParsedConnection {
  const protocol = PROTOCOLS.get(pro);
  if (protocol === undefined) throw new BadLine(`unknown protocol ${quote(pro)}`);
  const family: Family = IPV4_HEX.test(from) ? 'ipv4' : 'ipv6';
  const client = { address: address(from, family, 'FromIP'), port: port(fport, 'FPrt') };
  const virtual = { address: address(to, family, 'ToIP'), port: port(tport, 'TPrt') };
  // The destination may be of the other family (a tunnel to a server of that family).
  const destination = { address: address(dest, IPV4_HEX.test(dest) ? 'ipv4' : 'ipv6', 'DestIP'), port: port(dport, 'DPrt') };
  if (!STATE.test(state)) throw new BadLine(`bad State ${quote(state)}`);
  if (!DECIMAL.test(expires) || Number(expires) > MAX_U32) throw new BadLine(`bad Expires ${quote(expires)}`);
  return {
    id: `${pro} ${from} ${fport} ${to} ${tport} ${dest} ${dport}`,
    protocol, family, client, virtual, destination, state, expires: Number(expires), persistenceEngine: null,
  };
}

function address(text: string, family: Family, field: string): string {
  if (family === 'ipv4') {
    if (!IPV4_HEX.test(text)) throw new BadLine(`bad ${field} ${quote(text)} (expected 8 hex digits like FromIP)`);
    const n = parseInt(text, 16);
    return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
  }
  if (!IPV6_FULL.test(text)) throw new BadLine(`bad ${field} ${quote(text)} (expected a full IPv6 address)`);
  return formatIpv6(text.split(':').map((g) => parseInt(g, 16)));
}

function port(text: string, field: string): number {
  if (!PORT_HEX.test(text)) throw new BadLine(`bad ${field} ${quote(text)} (expected 4 hex digits)`);
  return parseInt(text, 16);
}

/**
 * Eight 16-bit groups as glibc's inet_ntop prints them (and so ipvsadm -n):
 * the longest run of two or more zero groups (the first of equals) becomes
 * "::"; ::a.b.c.d and ::ffff:a.b.c.d keep their IPv4 tail dotted.
 */
export function formatIpv6(words: readonly number[]): string {
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else {
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${words[6] >> 8}.${words[6] & 0xff}.${words[7] >> 8}.${words[7] & 0xff}`;
      return out;
    }
    out += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
