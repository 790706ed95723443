/**
 * Validation of health settings (HealthCheckSpec, QuorumSpec, HealthTable) into their filled forms:
 * own properties only, every default set, each bad value an IpvsValidationError naming its field.
 */
import { IpvsValidationError } from '../errors';
import { endpointId, serviceId } from '../keys';
import { destinationKey, MAX_WEIGHT } from '../validate/destination';
import { address, boolean, integer, onlyKeys, oneOf, own, plainObject } from '../validate/primitives';
import { publicServiceKey, serviceKey } from '../validate/service';
import { duration } from './duration';
import type {
  CheckType, DnsCheckSettings, ExecCheckSettings, HealthCheckSpec, HealthDestination, HealthService, HealthTable,
  HttpCheckSettings, QuorumSpec,
} from './types';

export const BUILTIN_CHECK_TYPES: readonly CheckType[] = ['tcp', 'http', 'https', 'dns', 'exec', 'none'];
export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 86_400_000;
export const DEFAULT_CHECK_INTERVAL_MS = 5000;
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;
export const DEFAULT_CHECK_RETRIES = 1;
export const DEFAULT_CHECK_RETRY_DELAY_MS = 1000;
export const MAX_RETRIES = 100;
export const MAX_RISE_FALL = 1000;
export const DNS_QUERY_TYPES = ['A', 'AAAA', 'NS', 'SOA', 'MX', 'TXT', 'CNAME', 'PTR', 'SRV'] as const;
/** Bounds on text settings: a config file is input, and these end up in requests and regexes. */
const MAX_PATH_CHARS = 2048;
const MAX_REGEX_CHARS = 1024;
const MAX_CA_CHARS = 1 << 20;
const MAX_COMMAND_ARGS = 256;
const MAX_ARG_CHARS = 4096;
const MAX_STATUS_ENTRIES = 100;

/** A check spec with every timing and flag set. */
export type FilledHealthCheckSpec = HealthCheckSpec &
  Required<Pick<HealthCheckSpec, 'interval' | 'timeout' | 'retries' | 'retryDelay' | 'rise' | 'fall' | 'warmup' | 'alpha' | 'inhibitOnFailure'>>;

export type FilledQuorumSpec = QuorumSpec & Required<Pick<QuorumSpec, 'min' | 'hysteresis' | 'sorryServerInhibit'>>;

export interface FilledHealthDestination extends HealthDestination {
  check: FilledHealthCheckSpec;
}

export interface FilledHealthService extends HealthService {
  quorum: FilledQuorumSpec;
  destinations: FilledHealthDestination[];
}

/** A HealthTable with every default filled and keys canonical. */
export interface FilledHealthTable extends HealthTable {
  services: FilledHealthService[];
}

export interface HealthSpecOptions {
  /** Custom checker types accepted besides the built-in ones (the HealthMonitor's `checkers`). */
  customTypes?: readonly string[];
}

const SPEC_KEYS = [
  'type', 'interval', 'timeout', 'retries', 'retryDelay', 'rise', 'fall', 'warmup', 'alpha', 'inhibitOnFailure', 'target',
  'http', 'dns', 'exec', 'settings',
] as const;

/** Which settings object goes with which type. */
const SETTINGS_OF: Readonly<Record<string, 'http' | 'dns' | 'exec' | undefined>> = {
  http: 'http', https: 'http', dns: 'dns', exec: 'exec',
};

/** One real server's check, validated, defaults filled (a new object; the input is not kept). */
export function checkHealthSpec(input: unknown, field: string, options: HealthSpecOptions = {}): FilledHealthCheckSpec {
  const obj = plainObject(input, field);
  onlyKeys(obj, SPEC_KEYS, field);
  const custom = options.customTypes ?? [];
  const allowed = [...BUILTIN_CHECK_TYPES, ...custom.filter((t) => !(BUILTIN_CHECK_TYPES as readonly string[]).includes(t))];
  const type = oneOf(own(obj, 'type'), `${field}.type`, allowed);
  const opt = <T>(key: string, check: (v: unknown, f: string) => T, fallback: T): T => {
    const v = own(obj, key);
    return v === undefined ? fallback : check(v, `${field}.${key}`);
  };
  const interval = opt('interval', (v, f) => duration(v, f, MIN_INTERVAL_MS, MAX_INTERVAL_MS), DEFAULT_CHECK_INTERVAL_MS);
  const timeout = opt('timeout', (v, f) => duration(v, f, 1, interval), Math.min(DEFAULT_CHECK_TIMEOUT_MS, interval));
  const spec: FilledHealthCheckSpec = {
    type,
    interval,
    timeout,
    retries: opt('retries', (v, f) => integer(v, f, 0, MAX_RETRIES), DEFAULT_CHECK_RETRIES),
    retryDelay: opt('retryDelay', (v, f) => duration(v, f, 0, MAX_INTERVAL_MS), DEFAULT_CHECK_RETRY_DELAY_MS),
    rise: opt('rise', (v, f) => integer(v, f, 1, MAX_RISE_FALL), 1),
    fall: opt('fall', (v, f) => integer(v, f, 1, MAX_RISE_FALL), 1),
    warmup: opt('warmup', (v, f) => duration(v, f, 0, MAX_INTERVAL_MS), interval),
    alpha: opt('alpha', boolean, false),
    inhibitOnFailure: opt('inhibitOnFailure', boolean, false),
  };
  const target = own(obj, 'target');
  if (target !== undefined) spec.target = checkTarget(target, `${field}.target`);

  // Settings objects belong to their type only: http settings on a tcp check would silently do nothing.
  const wants = Object.hasOwn(SETTINGS_OF, type) ? SETTINGS_OF[type] : undefined;
  for (const key of ['http', 'dns', 'exec'] as const) {
    if (key !== wants && own(obj, key) !== undefined)
      throw new IpvsValidationError(`${field}.${key}`, obj[key], `no ${key} settings: type is '${type}'`);
  }
  const isCustom = !(BUILTIN_CHECK_TYPES as readonly string[]).includes(type);
  const settings = own(obj, 'settings');
  if (settings !== undefined) {
    if (!isCustom) throw new IpvsValidationError(`${field}.settings`, settings, `no settings: type '${type}' is built in (settings are for custom checkers)`);
    spec.settings = jsonCopy(settings, `${field}.settings`, 0) as Record<string, unknown>;
    plainObject(spec.settings, `${field}.settings`);
  }
  if (wants === 'http') spec.http = httpSettings(own(obj, 'http'), `${field}.http`, type === 'https');
  else if (wants === 'dns') spec.dns = dnsSettings(own(obj, 'dns'), `${field}.dns`);
  else if (wants === 'exec') spec.exec = execSettings(own(obj, 'exec'), `${field}.exec`);
  return spec;
}

function checkTarget(value: unknown, field: string): { address?: string; port?: number } {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['address', 'port'], field);
  const out: { address?: string; port?: number } = {};
  const addr = own(obj, 'address');
  if (addr !== undefined) out.address = address(addr, `${field}.address`).address;
  const port = own(obj, 'port');
  if (port !== undefined) out.port = integer(port, `${field}.port`, 1, 65535);
  if (out.address === undefined && out.port === undefined)
    throw new IpvsValidationError(field, value, 'an address, a port or both');
  return out;
}

const PATH = /^\/[\x21-\x7e]*$/;
const HOST_HEADER = /^[A-Za-z0-9._~\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const STATUS_RANGE = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/;

function httpSettings(value: unknown, field: string, https: boolean): HttpCheckSettings {
  const obj = value === undefined ? {} : plainObject(value, field);
  onlyKeys(obj, https ? ['path', 'status', 'body', 'host', 'sni', 'verify', 'ca'] : ['path', 'status', 'body', 'host'], field);
  const out: HttpCheckSettings = { path: '/', status: ['200-299'] };
  const path = own(obj, 'path');
  if (path !== undefined) {
    if (typeof path !== 'string' || path.length > MAX_PATH_CHARS || !PATH.test(path))
      throw new IpvsValidationError(`${field}.path`, path, `a path starting with '/', printable ASCII without blanks, at most ${MAX_PATH_CHARS} characters`);
    out.path = path;
  }
  const status = own(obj, 'status');
  if (status !== undefined) out.status = statusList(status, `${field}.status`);
  const body = own(obj, 'body');
  if (body !== undefined) {
    if (typeof body !== 'string' || body.length === 0 || body.length > MAX_REGEX_CHARS)
      throw new IpvsValidationError(`${field}.body`, body, `a regular expression of 1 to ${MAX_REGEX_CHARS} characters`);
    try {
      new RegExp(body);
    } catch (e) {
      throw new IpvsValidationError(`${field}.body`, body, `a valid regular expression (${(e as Error).message})`);
    }
    out.body = body;
  }
  const host = own(obj, 'host');
  if (host !== undefined) {
    if (typeof host !== 'string' || host.length > 261 || !HOST_HEADER.test(host))
      throw new IpvsValidationError(`${field}.host`, host, 'a Host header value: a name or address, optionally with :port');
    out.host = host;
  }
  if (!https) return out;
  const sni = own(obj, 'sni');
  if (sni !== undefined) {
    // TLS server names are DNS names: RFC 6066 forbids literal addresses.
    if (typeof sni !== 'string' || !HOSTNAME.test(sni) || /^[\d.]+$/.test(sni))
      throw new IpvsValidationError(`${field}.sni`, sni, 'a DNS host name (not an address)');
    out.sni = sni;
  }
  const verify = own(obj, 'verify');
  out.verify = verify === undefined ? false : boolean(verify, `${field}.verify`);
  const ca = own(obj, 'ca');
  if (ca !== undefined) {
    if (!out.verify) throw new IpvsValidationError(`${field}.ca`, '<PEM text>', 'no CA unless verify is true (certificates are not checked)');
    if (typeof ca !== 'string' || ca.length > MAX_CA_CHARS || !ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new IpvsValidationError(`${field}.ca`, typeof ca === 'string' ? `${ca.slice(0, 40)}…` : ca, 'PEM text with at least one certificate');
    out.ca = ca;
  }
  return out;
}

function statusList(value: unknown, field: string): (number | string)[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STATUS_ENTRIES)
    throw new IpvsValidationError(field, value, `an array of 1 to ${MAX_STATUS_ENTRIES} status codes or ranges ('200-299')`);
  const out: (number | string)[] = [];
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    const at = `${field}[${i}]`;
    if (typeof v === 'number') out.push(integer(v, at, 100, 599));
    else {
      const m = typeof v === 'string' ? STATUS_RANGE.exec(v) : null;
      if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1])))
        throw new IpvsValidationError(at, v, "a status code from 100 to 599 or a range 'LOW-HIGH' with LOW <= HIGH");
      out.push(m[2] === undefined ? Number(m[1]) : v as string);
    }
  }
  return out;
}

function dnsSettings(value: unknown, field: string): DnsCheckSettings {
  const obj = value === undefined ? {} : plainObject(value, field);
  onlyKeys(obj, ['type', 'name'], field);
  const type = own(obj, 'type');
  const name = own(obj, 'name');
  const out: DnsCheckSettings = {
    type: type === undefined ? 'SOA' : dnsType(type, `${field}.type`),
    name: '.',
  };
  if (name !== undefined) {
    if (typeof name !== 'string' || (name !== '.' && !/^(?=.{1,254}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/.test(name)))
      throw new IpvsValidationError(`${field}.name`, name, "a DNS name ('.' for the root)");
    out.name = name;
  }
  return out;
}

/** A query type, any case ('a' is 'A'); the error shows the value as given. */
function dnsType(value: unknown, field: string): string {
  const upper = typeof value === 'string' ? value.toUpperCase() : '';
  if (!(DNS_QUERY_TYPES as readonly string[]).includes(upper))
    throw new IpvsValidationError(field, value, `one of ${DNS_QUERY_TYPES.join(', ')}`);
  return upper;
}

function execSettings(value: unknown, field: string): ExecCheckSettings {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['command', 'dynamicWeight'], field);
  const command = own(obj, 'command');
  if (!Array.isArray(command) || command.length === 0 || command.length > MAX_COMMAND_ARGS)
    throw new IpvsValidationError(`${field}.command`, command, `an array of 1 to ${MAX_COMMAND_ARGS} strings: the program and its arguments`);
  const args: string[] = [];
  for (let i = 0; i < command.length; i++) {
    const arg: unknown = command[i];
    if (typeof arg !== 'string' || arg.length > MAX_ARG_CHARS || arg.includes('\0') || (i === 0 && arg.length === 0))
      throw new IpvsValidationError(`${field}.command[${i}]`, arg, `a string of at most ${MAX_ARG_CHARS} characters without NUL${i === 0 ? ', not empty' : ''}`);
    args.push(arg);
  }
  const dyn = own(obj, 'dynamicWeight');
  return { command: args, dynamicWeight: dyn === undefined ? false : boolean(dyn, `${field}.dynamicWeight`) };
}

/** A deep copy of JSON-like data (plain objects, arrays, strings, finite numbers, booleans, null). */
function jsonCopy(value: unknown, field: string, depth: number): unknown {
  if (depth > 16) throw new IpvsValidationError(field, value, 'data nested at most 16 deep');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(jsonCopy(value[i], `${field}[${i}]`, depth + 1));
    return out;
  }
  const obj = plainObject(value, field);
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) throw new IpvsValidationError(field, value, 'a plain object');
  // A null-prototype copy: keys like __proto__ stay data, never reach a prototype.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(obj)) out[key] = jsonCopy(obj[key], `${field}.${key}`, depth + 1);
  return out;
}

/** A service's quorum, defaults filled (min 1, hysteresis 0). */
export function checkQuorumSpec(input: unknown, field: string): FilledQuorumSpec {
  const obj = input === undefined ? {} : plainObject(input, field);
  onlyKeys(obj, ['min', 'hysteresis', 'sorryServer', 'sorryServerInhibit', 'sorryServerForwarding'], field);
  const min = own(obj, 'min') === undefined ? 1 : integer(obj.min, `${field}.min`, 0, Number.MAX_SAFE_INTEGER);
  const hyst = own(obj, 'hysteresis');
  // Down below min - hysteresis: a hysteresis of min or more would never let the quorum go down.
  const hysteresis = hyst === undefined ? 0 : integer(hyst, `${field}.hysteresis`, 0, Math.max(0, min - 1));
  const out: FilledQuorumSpec = { min, hysteresis, sorryServerInhibit: false };
  const sorry = own(obj, 'sorryServer');
  if (sorry !== undefined) {
    const key = destinationKey(sorry, `${field}.sorryServer`);
    out.sorryServer = { address: key.address, port: key.port };
  }
  const inhibit = own(obj, 'sorryServerInhibit');
  if (inhibit !== undefined) out.sorryServerInhibit = boolean(inhibit, `${field}.sorryServerInhibit`);
  const fwd = own(obj, 'sorryServerForwarding');
  if (fwd !== undefined) out.sorryServerForwarding = oneOf(fwd, `${field}.sorryServerForwarding`, ['masq', 'route', 'tunnel'] as const);
  if (out.sorryServer === undefined) {
    for (const key of ['sorryServerInhibit', 'sorryServerForwarding'] as const) {
      if (own(obj, key) !== undefined) throw new IpvsValidationError(`${field}.${key}`, obj[key], 'nothing: there is no sorryServer');
    }
  }
  return out;
}

/** An array read with an index loop: holes are refused, not skipped. */
function list(value: unknown, field: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new IpvsValidationError(field, value, `an array of ${what}`);
  for (let i = 0; i < value.length; i++) if (!(i in value)) throw new IpvsValidationError(`${field}[${i}]`, undefined, 'an object');
  return value;
}

/**
 * What a HealthMonitor watches, validated, defaults filled. Keys are returned in canonical form
 * (as the client's reads give them), so a table from a config file and one written by hand match.
 */
export function checkHealthTable(input: unknown, field = 'health', options: HealthSpecOptions = {}): FilledHealthTable {
  const root = plainObject(input, field);
  onlyKeys(root, ['services'], field);
  const services = list(own(root, 'services'), `${field}.services`, 'services');
  const out: FilledHealthTable = { services: [] };
  const seenServices = new Map<string, number>();
  for (let i = 0; i < services.length; i++) {
    const at = `${field}.services[${i}]`;
    const svc = plainObject(services[i], at);
    onlyKeys(svc, ['service', 'quorum', 'destinations'], at);
    const key = serviceKey(own(svc, 'service'), `${at}.service`);
    const sid = serviceId(key);
    const first = seenServices.get(sid);
    if (first !== undefined)
      throw new IpvsValidationError(`${at}.service`, svc.service, `a service not listed before (${field}.services[${first}] is the same)`);
    seenServices.set(sid, i);
    const quorum = checkQuorumSpec(own(svc, 'quorum'), `${at}.quorum`);
    const dests = list(own(svc, 'destinations') ?? [], `${at}.destinations`, 'destinations');
    const seen = new Map<string, number>();
    const destinations: FilledHealthDestination[] = [];
    for (let j = 0; j < dests.length; j++) {
      const dat = `${at}.destinations[${j}]`;
      const d = plainObject(dests[j], dat);
      onlyKeys(d, ['destination', 'weight', 'check'], dat);
      const dest = destinationKey(own(d, 'destination'), `${dat}.destination`);
      const did = endpointId(dest);
      const firstDest = seen.get(did);
      if (firstDest !== undefined)
        throw new IpvsValidationError(`${dat}.destination`, d.destination, `a destination not listed before (${at}.destinations[${firstDest}] is the same)`);
      seen.set(did, j);
      const weight = own(d, 'weight') === undefined ? 1 : integer(d.weight, `${dat}.weight`, 0, MAX_WEIGHT);
      const check = checkHealthSpec(own(d, 'check'), `${dat}.check`, options);
      destinations.push({ destination: { address: dest.address, port: dest.port }, weight, check });
    }
    if (quorum.sorryServer !== undefined && seen.has(endpointId(quorum.sorryServer)))
      throw new IpvsValidationError(`${at}.quorum.sorryServer`, svc.quorum && (svc.quorum as Record<string, unknown>).sorryServer,
        'a server that is not one of the service\'s real servers');
    out.services.push({ service: publicServiceKey(key), quorum, destinations });
  }
  return out;
}
