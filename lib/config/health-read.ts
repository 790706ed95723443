/**
 * A config file's health settings -> the HealthTable the monitor watches. The file writes a check
 * flat (`health: { type: http, path: /, interval: 1s }`) per service, with a destination's own
 * `health:` merged over its service's; the library's shape nests the type's settings (http, dns,
 * exec). Values are judged by lib/health's validators, and a complaint is placed where the bad
 * value was written: in the service's block or the destination's.
 */
import { IpvsValidationError, show } from '../errors';
import { checkHealthSpec, checkQuorumSpec } from '../health/spec';
import type { HealthCheckSpec, HealthDestination, HealthService, HealthTable, QuorumSpec } from '../health/types';
import { endpointId } from '../keys';
import type { NormalizedServiceKey } from '../validate/service';
import { publicServiceKey } from '../validate/service';
import type { DesiredDestination } from './desired';
import { isMap, type YamlNode } from './document';
import { SpellingError, endpointSpelling } from './endpoints';
import { hostPort } from '../describe';
import { HEALTH_FIELDS, QUORUM_FIELDS, QUERY_FIELDS, TARGET_FIELDS } from './fields';
import type { Place, Problems } from './problems';

/** A field as the reader gives it: its key node and value node. */
export interface Field {
  key: YamlNode;
  value: YamlNode | null;
}

/** What the health reader needs of the document reader. */
export interface FieldReader {
  readonly problems: Problems;
  fields(node: YamlNode | null, path: string, allowed: readonly string[], expected: string): Map<string, Field> | null;
  value(field: Field, path: string): unknown;
  subObject(field: Field, path: string, allowed: readonly string[]): unknown;
  placeOfField(field: Field): Place;
  placeOfPath(path: string): Place;
}

/** Settings of the check's type, nested under this key of HealthCheckSpec. */
const NESTED: Readonly<Record<string, readonly [string, string]>> = {
  path: ['http', 'path'], status: ['http', 'status'], body: ['http', 'body'], host: ['http', 'host'], sni: ['http', 'sni'],
  verify: ['http', 'verify'], ca: ['http', 'ca'], command: ['exec', 'command'], dynamicWeight: ['exec', 'dynamicWeight'],
};

/** One flat health block read: each field's value and the file path it was written at. */
type Block = Map<string, { value: unknown; path: string }>;

const BAD = Symbol('bad');

export class HealthReader {
  private readonly services: HealthService[] = [];
  /** Problems already reported (a service's bad value is seen once per destination that inherits it). */
  private readonly reported = new Set<string>();

  constructor(private readonly reader: FieldReader) {}

  table(): HealthTable {
    return { services: this.services };
  }

  /**
   * A service's health: its `health:` and `quorum:` fields, and each destination's `health:`.
   * A service with none of them is not watched (its servers are always up).
   */
  service(
    path: string, key: NormalizedServiceKey, health: Field | undefined, quorum: Field | undefined,
    destinations: readonly { destination: DesiredDestination; path: string; health: Field | undefined }[],
  ): void {
    const base = health ? this.block(health, `${path}.health`) : new Map() as Block;
    const q = quorum ? this.quorum(quorum, `${path}.quorum`, key) : undefined;
    if (!health && !quorum && destinations.every((d) => !d.health)) return;
    const out: HealthDestination[] = [];
    let ok = base !== BAD && q !== BAD;
    // A service block with no destination to inherit it is still judged: a bad value is bad today.
    if (base !== BAD && base.size && destinations.length === 0) ok = this.check(base, `${path}.health`, health) !== null && ok;
    for (const d of destinations) {
      const own = d.health ? this.block(d.health, `${d.path}.health`) : new Map() as Block;
      if (own === BAD || base === BAD) {
        ok = false;
        continue;
      }
      const merged: Block = new Map([...base, ...own]);
      const check = this.check(merged, `${d.path}.health`, d.health ?? health);
      if (!check) {
        ok = false;
        continue;
      }
      out.push({ destination: { ...d.destination.destination }, weight: d.destination.options?.weight ?? 1, check });
    }
    const sorry = q && q !== BAD ? q.sorryServer : undefined;
    if (sorry && destinations.some((d) => endpointId(d.destination.destination) === endpointId(sorry))) {
      const at = `${path}.quorum.sorryServer`;
      this.reader.problems.add(this.reader.placeOfPath(at), at, `${hostPort(sorry.address, sorry.port)} is one of the service's real servers: the sorry server must be another`);
      return;
    }
    if (!ok) return;
    this.services.push({ service: publicServiceKey(key), ...(q ? { quorum: q as QuorumSpec } : {}), destinations: out });
  }

  /** A flat block's fields with their values; target and query as mappings of their own. */
  private block(field: Field, path: string): Block | typeof BAD {
    const r = this.reader;
    if (!field.value || !isMap(field.value)) {
      r.problems.add(r.placeOfField(field), path, `expected a health check: a mapping with type: (tcp, http, https, dns, exec, none), interval: …; got ${show(r.value(field, path))}`);
      return BAD;
    }
    const f = r.fields(field.value, path, HEALTH_FIELDS, 'a health check');
    if (!f) return BAD;
    const out: Block = new Map();
    let bad = false;
    for (const [name, sub] of f) {
      const at = `${path}.${name}`;
      const value = name === 'target' ? r.subObject(sub, at, TARGET_FIELDS) : name === 'query' ? r.subObject(sub, at, QUERY_FIELDS) : r.value(sub, at);
      if (typeof value === 'symbol') bad = true;
      else out.set(name, { value: copy(value), path: at });
    }
    return bad ? BAD : out;
  }

  /** The merged block as a HealthCheckSpec, judged by lib/health; its complaint placed where the value was written. */
  private check(block: Block, path: string, where: Field | undefined): HealthCheckSpec | null {
    const spec: Record<string, unknown> = {};
    /** The spec's field path -> the file's. */
    const origin = new Map<string, string>();
    for (const [name, { value, path: at }] of block) {
      if (Object.hasOwn(NESTED, name)) {
        const [group, key] = NESTED[name];
        ((spec[group] ??= {}) as Record<string, unknown>)[key] = value;
        origin.set(`${group}.${key}`, at);
        if (!origin.has(group)) origin.set(group, at);
      } else if (name === 'query') {
        spec.dns = value;
        origin.set('dns', at);
      } else {
        spec[name] = value;
        origin.set(name, at);
      }
    }
    if (block.size === 0) return { type: 'none' }; // no check here or in its service: always up
    if (!Object.hasOwn(spec, 'type')) {
      const place = where ? this.reader.placeOfField(where) : this.reader.placeOfPath(path);
      this.once(place, `${path}.type`, 'missing: the check type (tcp, http, https, dns, exec, or none)');
      return null;
    }
    if (spec.type === 'exec' && spec.exec === undefined) {
      const place = where ? this.reader.placeOfField(where) : this.reader.placeOfPath(path);
      this.once(place, `${path}.command`, 'missing: the command an exec check runs (a list: the program, then its arguments)');
      return null;
    }
    try {
      return checkHealthSpec(spec, path);
    } catch (err) {
      if (!(err instanceof IpvsValidationError)) throw err;
      const field = fileField(err.field, path, origin);
      const prefix = `${err.field}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      this.once(this.reader.placeOfPath(field), field, message);
      return null;
    }
  }

  private quorum(field: Field, path: string, service: NormalizedServiceKey): QuorumSpec | typeof BAD {
    const r = this.reader;
    const obj = r.subObject(field, path, QUORUM_FIELDS);
    if (typeof obj === 'symbol') return BAD;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      r.problems.add(r.placeOfField(field), path, `expected a quorum: a mapping with min:, hysteresis:, sorryServer:; got ${show(obj)}`);
      return BAD;
    }
    const given = { ...(obj as Record<string, unknown>) };
    const sorry = given.sorryServer;
    if (typeof sorry === 'string') {
      try {
        const e = endpointSpelling(sorry);
        // A port left out is the service's, as for a real server.
        given.sorryServer = { address: e.address, port: e.port ?? ('port' in service ? service.port : 0) };
      } catch (err) {
        if (!(err instanceof SpellingError)) throw err;
        r.problems.add(r.placeOfPath(`${path}.sorryServer`), `${path}.sorryServer`, `expected ${err.message}`);
        return BAD;
      }
    }
    try {
      return checkQuorumSpec(given, path);
    } catch (err) {
      r.problems.addError(err, (f) => r.placeOfPath(f), path);
      return BAD;
    }
  }

  private once(place: Place, field: string, message: string): void {
    const id = `${field}\n${message}`;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.reader.problems.add(place, field, message);
  }
}

/** `P.http.path` -> where path was written (`services[0].health.path`); `P.dns.type` -> `….query.type`. */
function fileField(field: string, prefix: string, origin: Map<string, string>): string {
  if (!field.startsWith(`${prefix}.`)) return field;
  const rest = field.slice(prefix.length + 1);
  const m = /^([A-Za-z]+)(?:\.([A-Za-z]+))?(.*)$/.exec(rest);
  if (!m) return field;
  const [, head, sub, tail] = m;
  const nested = sub !== undefined ? origin.get(`${head}.${sub}`) : undefined;
  if (nested) return `${nested}${tail}`;
  const top = origin.get(head);
  if (top) return `${top}${sub !== undefined ? `.${sub}` : ''}${tail}`;
  return prefix;
}

/** Values from the reader are null-prototype objects and arrays: copied to plain ones for the validators. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: copy((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}
