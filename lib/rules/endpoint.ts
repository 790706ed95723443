/**
 * `address[:port]` as ipvsadm reads it: `192.0.2.1:80`, `[2001:db8::1]:80`,
 * a bare address (port left to the caller; IPv6 without brackets then), and port names from
 * /etc/services. Host names are refused: resolving them would make a rules
 * file mean different things on different machines.
 */
import { readFileSync } from 'node:fs';
import type { Family } from '../types';
import { address } from '../validate/primitives';

export interface Endpoint {
  address: string;
  family: Family;
  /** Undefined when the text gave none. */
  port?: number;
}

export class EndpointError extends Error {}

let services: Map<string, number> | undefined;

/** name/protocol -> port, read once from /etc/services (absent file: no names). */
function serviceNames(): Map<string, number> {
  if (services) return services;
  services = new Map();
  let text = '';
  try {
    text = readFileSync('/etc/services', 'utf8');
  } catch {
    return services;
  }
  for (const line of text.split('\n')) {
    const [entry] = line.split('#');
    const [name, portProto, ...aliases] = entry.trim().split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !m) continue;
    for (const n of [name, ...aliases]) {
      const key = `${n}/${m[2]}`;
      if (!services.has(key)) services.set(key, Number(m[1]));
    }
  }
  return services;
}

function port(text: string, protocol: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 65535) throw new EndpointError(`port ${text} is out of range (0 to 65535)`);
    return n;
  }
  // ipvsadm looks SCTP names up as TCP ones, like getservbyname with "tcp".
  const found = serviceNames().get(`${text}/${protocol === 'udp' ? 'udp' : 'tcp'}`);
  if (found === undefined) throw new EndpointError(`unknown port name ${JSON.stringify(text)} (not in /etc/services)`);
  return found;
}

function checkedAddress(text: string): { address: string; family: Family } {
  try {
    return address(text, 'address');
  } catch {
    const hint = /^[A-Za-z0-9.-]+$/.test(text) && /[A-Za-z]/.test(text)
      ? ': host names are not resolved, give an IPv4 or IPv6 address'
      : '';
    throw new EndpointError(`${JSON.stringify(text)} is not an IP address${hint}`);
  }
}

/** Parses `addr`, `addr:port`, `[v6]:port` or a bare IPv6 address (no port). */
export function parseEndpoint(text: string, protocol: string): Endpoint {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new EndpointError(`missing ']' in ${JSON.stringify(text)}`);
    const rest = text.slice(close + 1);
    // ipvsadm reads brackets only with a port; a lone IPv6 address goes without them.
    if (!rest.startsWith(':')) throw new EndpointError(`expected ':PORT' after ']' in ${JSON.stringify(text)} (without a port, write the IPv6 address bare)`);
    return withPort(checkedAddress(text.slice(1, close)), port(rest.slice(1), protocol));
  }
  // Bulk input runs through here twice a line: indexOf, not split, so that no array is made.
  const colon = text.indexOf(':');
  if (colon < 0) return checkedAddress(text);
  if (text.indexOf(':', colon + 1) >= 0) return checkedAddress(text); // bare IPv6, no port
  return withPort(checkedAddress(text.slice(0, colon)), port(text.slice(colon + 1), protocol));
}

function withPort(a: { address: string; family: Family }, p: number): Endpoint {
  return { address: a.address, family: a.family, port: p };
}
