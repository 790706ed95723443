/**
 * The short spellings of a config file: a service as `tcp 192.0.2.10:80`, `udp [2001:db8::10]:53` or
 * `fwmark 1 ipv6`, a real server as `198.51.100.11:80`, `[2001:db8::11]:80` or a bare address. Only the
 * shape is read here: each part then goes through the library's validators as the long form would.
 */
import { show } from '../errors';

export class SpellingError extends Error {}

const SERVICE_FORMS = 'PROTOCOL ADDRESS:PORT (tcp 192.0.2.10:80, udp [2001:db8::10]:53) or fwmark MARK [ipv4|ipv6]';

/** The long form of a service spelled short: { protocol, address, port } or { fwmark, family? }. */
export function serviceSpelling(text: string): Record<string, unknown> {
  const words = text.trim().split(/\s+/);
  if (words[0] === 'fwmark' && (words.length === 2 || words.length === 3)) {
    const key: Record<string, unknown> = { fwmark: number(words[1]) };
    if (words.length === 3) key.family = words[2];
    return key;
  }
  if (words.length === 2 && /^[a-z]+$/.test(words[0])) {
    const endpoint = endpointSpelling(words[1]);
    if (endpoint.port === undefined) throw new SpellingError(`a port after the address (${SERVICE_FORMS}; 0 for all ports), got ${show(text)}`);
    return { protocol: words[0], address: endpoint.address, port: endpoint.port };
  }
  throw new SpellingError(`${SERVICE_FORMS}, or { protocol, address, port } or { fwmark, family }, got ${show(text)}`);
}

/** `a.b.c.d:port`, `[v6]:port`, or an address alone (IPv4, or IPv6 without brackets): port undefined. */
export function endpointSpelling(text: string): { address: string; port?: unknown } {
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
    if (!m) throw new SpellingError(`[IPV6]:PORT, got ${show(text)} (without a port, write the IPv6 address without brackets)`);
    return { address: m[1], port: number(m[2]) };
  }
  const colon = text.indexOf(':');
  // Two colons or more: an IPv6 address, and no port (that would need brackets).
  if (colon < 0 || text.indexOf(':', colon + 1) >= 0) return { address: text };
  return { address: text.slice(0, colon), port: number(text.slice(colon + 1)) };
}

/** Digits as a number, anything else as it was written: the validator then names what it expected. */
function number(text: string): unknown {
  return /^\d{1,16}$/.test(text) ? Number(text) : text;
}
