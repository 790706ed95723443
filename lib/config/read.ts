/**
 * A YAML or JSON document -> the desired table. The file's shape (which fields where, the short
 * spellings, forwarding aliases) is read here; every value is judged by the library's validators
 * (lib/validate), with the file's field paths, so a value is valid here exactly when the client
 * would take it. Every problem is collected, each at its place in the file.
 */
import { show } from '../errors';
import type { DestinationOptions, ServiceOptions } from '../types';
import {
  FORWARDING_NAMES, destinationConfig, destinationKey, destinationPatch, type NormalizedDestinationKey,
} from '../validate/destination';
import { oneOf } from '../validate/primitives';
import { publicServiceKey, serviceConfig, serviceKey, servicePatch, type NormalizedServiceKey } from '../validate/service';
import type { DesiredDestination, DesiredService, DesiredTable } from './desired';
import { Source, hasAlias, isMap, isScalar, isSeq, plainOf, scalarOf, type YamlNode } from './document';
import { SpellingError, endpointSpelling, serviceSpelling } from './endpoints';
import {
  ADDRESS_KEY_FIELDS, DESTINATION_FIELDS, FWMARK_KEY_FIELDS, PERSISTENCE_FIELDS, SERVER_FIELDS, SERVICE_FIELDS, TOP_FIELDS,
  TUNNEL_FIELDS, unknownFieldMessage,
} from './fields';
import { endpointId as serverId, serviceId } from '../keys';
import { describeServer, describeService } from './identity';
import { defaultDirectorSettings, type DirectorSettings } from './director-settings';
import { readDirector } from './director-read';
import { HealthReader, type Field, type FieldReader } from './health-read';
import { readVrrp } from './vrrp-read';
import { defaultVrrpSettings, type VrrpSettings } from './vrrp-settings';
import type { Place, Problems } from './problems';

/** keepalived's lvs_method words (and their lower case) for the library's forwarding methods. */
const FORWARDING_ALIASES = new Map<string, string>([
  ['nat', 'masq'], ['NAT', 'masq'], ['dr', 'route'], ['DR', 'route'], ['tun', 'tunnel'], ['TUN', 'tunnel'],
]);

const SERVICE_OPTIONS = ['scheduler', 'schedulerFlags', 'onePacket', 'persistence', 'persistenceEngine'] as const;
const DESTINATION_OPTIONS = ['forwarding', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel'] as const;


/** Marks a value that already has a problem (an alias, a bad spelling): it is not validated again. */
const BAD = Symbol('bad value');

export class DocumentReader implements FieldReader {
  /** Field path -> where its value starts: where a validator's complaint about that field points. */
  private readonly places = new Map<string, Place>();
  /** Service identity -> where it was first declared. */
  private readonly services = new Map<string, { place: Place; field: string }>();

  /** Per service, what health checks watch (filled as services are read). */
  readonly health = new HealthReader(this);
  /** The `director:` section, defaults filled. */
  director: DirectorSettings = defaultDirectorSettings();
  /** The `vrrp:` section, defaults filled. */
  vrrp: VrrpSettings = defaultVrrpSettings();
  /** A destination's `health:` field, by the destination's path, for its service to read. */
  private readonly destinationHealth = new Map<string, Field | undefined>();

  constructor(private readonly source: Source, readonly problems: Problems) {}

  read(): DesiredTable | null {
    const root = this.source.root;
    if (root === null || (isScalar(root) && root.value === null)) {
      this.problems.add({ line: 1, column: 1 }, '', 'the file declares nothing: write `services: []` to declare no services');
      return null;
    }
    const top = this.fields(root, '', TOP_FIELDS, 'a mapping with a services: list');
    if (!top) return null;
    const director = top.get('director');
    if (director) this.director = readDirector(this, director, 'director');
    const table = this.table(root, top);
    // After the services: a tracked service is looked up among them.
    const vrrp = top.get('vrrp');
    if (vrrp) this.vrrp = readVrrp(this, vrrp, 'vrrp', table, this.health.table());
    return table;
  }

  private table(root: YamlNode, top: Map<string, Field>): DesiredTable | null {
    const list = top.get('services');
    if (!list) {
      this.problems.add(this.source.placeOf(root), 'services', 'missing: the list of services (`services: []` for none)');
      return null;
    }
    if (!list.value || !isSeq(list.value)) {
      this.problems.add(this.placeOfField(list), 'services', `expected a list of services, got ${show(plainOf(list.value))}`);
      return null;
    }
    const services: DesiredService[] = [];
    list.value.items.forEach((item, i) => {
      const service = this.service(item as YamlNode | null, `services[${i}]`);
      if (service) services.push(service);
    });
    return { services };
  }

  private service(node: YamlNode | null, path: string): DesiredService | null {
    if (node) this.places.set(path, this.source.placeOf(node));
    const f = this.fields(node, path, SERVICE_FIELDS, 'a service: a mapping with service:, scheduler:, destinations: …');
    if (!f || !node) return null;
    const keyField = f.get('service');
    if (!keyField) this.problems.add(this.source.placeOf(node), `${path}.service`, 'missing: which service (e.g. `service: tcp 192.0.2.10:80` or `service: fwmark 1`)');
    const key = keyField ? this.serviceKey(keyField, `${path}.service`) : null;

    const given: Record<string, unknown> = {};
    let bad = false;
    for (const name of SERVICE_OPTIONS) {
      const field = f.get(name);
      if (!field) continue;
      const value = name === 'persistence' ? this.subObject(field, `${path}.persistence`, PERSISTENCE_FIELDS) : this.value(field, `${path}.${name}`);
      if (value === BAD) bad = true;
      else given[name] = value;
    }
    const forwarding = this.forwarding(f.get('forwarding'), `${path}.forwarding`);

    let options: ServiceOptions | undefined;
    if (key && !bad) options = this.serviceOptions(given, key, path);
    if (key) this.duplicateService(key, keyField!, `${path}.service`);

    const destinations = this.destinations(f.get('destinations'), path, key, forwarding);
    if (!key || !options || !destinations) return null;
    this.health.service(path, key, f.get('health'), f.get('quorum'), destinations.map((destination, j) => {
      const at = `${path}.destinations[${j}]`;
      return { destination, path: at, health: this.destinationHealth.get(at) };
    }));
    return { service: publicServiceKey(key), options, destinations };
  }

  /** Each option alone first, so that every bad one is reported; then together, for what they rule out jointly. */
  private serviceOptions(given: Record<string, unknown>, key: NormalizedServiceKey, path: string): ServiceOptions | undefined {
    let ok = true;
    for (const name of Object.keys(given)) ok = this.check(() => servicePatch({ [name]: given[name] }, key, path, `${path}.service`), path) && ok;
    if (!ok) return undefined;
    return this.attempt(() => serviceConfig(given, key, null, path, `${path}.service`), path);
  }

  private serviceKey(field: Field, path: string): NormalizedServiceKey | null {
    const node = field.value;
    let long: unknown;
    if (node && isMap(node)) {
      const isFwmark = node.items.some((pair) => scalarOf(pair.key as YamlNode | null) === 'fwmark');
      long = this.subObject(field, path, isFwmark ? FWMARK_KEY_FIELDS : ADDRESS_KEY_FIELDS);
    } else {
      long = this.spelled(field, path, serviceSpelling);
    }
    if (long === BAD) return null;
    return this.attempt(() => serviceKey(long, path), path) ?? null;
  }

  private duplicateService(key: NormalizedServiceKey, field: Field, path: string): void {
    const id = serviceId(key);
    const place = this.placeOfField(field);
    const first = this.services.get(id);
    if (first) {
      this.problems.add(place, path, `${describeService(key)} is declared twice: here and at line ${first.place.line}, column ${first.place.column} (${first.field})`);
    } else this.services.set(id, { place, field: path });
  }

  private destinations(
    field: Field | undefined, path: string, service: NormalizedServiceKey | null, forwarding: unknown,
  ): DesiredDestination[] | null {
    if (!field || field.value === null || (isScalar(field.value) && field.value.value === null)) return [];
    if (!isSeq(field.value)) {
      this.problems.add(this.placeOfField(field), `${path}.destinations`, `expected a list of destinations, got ${show(plainOf(field.value))}`);
      return null;
    }
    const out: DesiredDestination[] = [];
    const seen = new Map<string, { place: Place; field: string }>();
    let ok = true;
    field.value.items.forEach((item, j) => {
      const d = this.destination(item as YamlNode | null, `${path}.destinations[${j}]`, service, forwarding, seen);
      if (d) out.push(d);
      else ok = false;
    });
    return ok ? out : null;
  }

  private destination(
    node: YamlNode | null, path: string, service: NormalizedServiceKey | null, inherited: unknown,
    seen: Map<string, { place: Place; field: string }>,
  ): DesiredDestination | null {
    if (node) this.places.set(path, this.source.placeOf(node));
    const f = this.fields(node, path, DESTINATION_FIELDS, 'a destination: a mapping with server:, forwarding:, weight: …');
    if (!f || !node) return null;
    const serverField = f.get('server');
    if (!serverField) {
      this.problems.add(this.source.placeOf(node), `${path}.server`, 'missing: the real server (e.g. `server: 198.51.100.11:80`)');
      return null;
    }
    const dest = this.server(serverField, `${path}.server`, service);

    const given: Record<string, unknown> = {};
    let bad = false;
    for (const name of DESTINATION_OPTIONS) {
      const field = f.get(name);
      if (!field) continue;
      const value = name === 'forwarding'
        ? this.forwarding(field, `${path}.forwarding`)
        : name === 'tunnel' ? this.subObject(field, `${path}.tunnel`, TUNNEL_FIELDS) : this.value(field, `${path}.${name}`);
      if (value === BAD) bad = true;
      else given[name] = value;
    }
    // The service's forwarding: for its destinations that say none (keepalived's lvs_method on a virtual_server).
    if (!Object.hasOwn(given, 'forwarding') && inherited !== undefined) {
      if (inherited === BAD) bad = true;
      else given.forwarding = inherited;
    }
    if (!dest || !service || bad) return null;
    this.destinationHealth.set(path, f.get('health'));

    const id = serverId(dest);
    const place = this.placeOfField(serverField);
    const first = seen.get(id);
    if (first) {
      this.problems.add(place, `${path}.server`, `${describeServer(dest)} is declared twice in this service: here and at line ${first.place.line}, column ${first.place.column} (${first.field})`);
      return null;
    }
    seen.set(id, { place, field: `${path}.server` });

    let ok = true;
    for (const name of Object.keys(given))
      ok = this.check(() => destinationPatch({ [name]: given[name] }, service, dest, path, `${path}.server`), path) && ok;
    if (!ok) return null;
    const options: DestinationOptions | undefined = this.attempt(() => destinationConfig(given, service, dest, null, path, `${path}.server`), path);
    return options ? { destination: { address: dest.address, port: dest.port }, options } : null;
  }

  /** The real server's key; a port left out is the service's (0 for a fwmark service), as ipvsadm reads `-r ADDRESS`. */
  private server(field: Field, path: string, service: NormalizedServiceKey | null): NormalizedDestinationKey | null {
    const long = field.value && isMap(field.value)
      ? this.subObject(field, path, SERVER_FIELDS)
      : this.spelled(field, path, endpointSpelling);
    if (long === BAD) return null;
    const key = long as Record<string, unknown>;
    if (key.port === undefined) {
      if (!service) return null;
      key.port = service.kind === 'address' ? service.port : 0;
    }
    return this.attempt(() => destinationKey(key, path), path) ?? null;
  }

  /** A forwarding method, keepalived's NAT/DR/TUN read as masq/route/tunnel; undefined when not given. */
  private forwarding(field: Field | undefined, path: string): unknown {
    if (!field) return undefined;
    const value = this.value(field, path);
    if (value === BAD) return BAD;
    const method = typeof value === 'string' ? FORWARDING_ALIASES.get(value) ?? value : value;
    return this.check(() => oneOf(method, path, FORWARDING_NAMES), path) ? method : BAD;
  }

  /**
   * The known fields of a mapping, each name checked against allowed (an unknown one is a problem at its
   * key). Null when node is not a mapping.
   */
  fields(node: YamlNode | null, path: string, allowed: readonly string[], expected: string): Map<string, Field> | null {
    if (!node || !isMap(node)) {
      if (!node || !hasAlias(node, this.source, this.problems, path))
        this.problems.add(node ? this.source.placeOf(node) : this.places.get(path) ?? { line: 1, column: 1 }, path,
          `expected ${expected}, got ${show(plainOf(node))}`);
      return null;
    }
    // Known fields go on being read after an unknown one, so that their problems are reported too
    // (the table is not used: the unknown field is a problem).
    const out = new Map<string, Field>();
    const names = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const name = scalarOf(keyNode);
      const keyPlace = keyNode ? this.source.placeOf(keyNode) : this.source.placeOf(node);
      if (typeof name !== 'string') {
        if (!hasAlias(keyNode, this.source, this.problems, path))
          this.problems.add(keyPlace, path, `a field name must be a plain word, got ${show(plainOf(keyNode))}`);
        continue;
      }
      const field = path ? `${path}.${name}` : name;
      if (names.has(name)) {
        this.problems.add(keyPlace, field, 'given twice in one mapping');
        continue;
      }
      names.add(name);
      if (!allowed.includes(name)) {
        this.problems.add(keyPlace, field, () => unknownFieldMessage(name, allowed));
        continue;
      }
      const value = pair.value as YamlNode | null;
      this.places.set(field, value ? this.source.placeOf(value) : keyPlace);
      out.set(name, { key: keyNode!, value });
    }
    return out;
  }

  /** A value for a validator; BAD when it holds an alias. A list's items get their places (schedulerFlags[1]). */
  value(field: Field, path: string): unknown {
    if (hasAlias(field.value, this.source, this.problems, path)) return BAD;
    if (field.value && isSeq(field.value))
      field.value.items.forEach((item, i) => {
        if (item) this.places.set(`${path}[${i}]`, this.source.placeOf(item as YamlNode));
      });
    return plainOf(field.value);
  }

  /**
   * A mapping of known fields as a fresh object with only those fields (so no name from the file can
   * be a prototype's); any other value as it is, for the validator to refuse or take (a persistence
   * timeout, false, null).
   */
  subObject(field: Field, path: string, allowed: readonly string[]): unknown {
    if (!field.value || !isMap(field.value)) return this.value(field, path);
    const f = this.fields(field.value, path, allowed, 'a mapping');
    if (!f) return BAD;
    const obj: Record<string, unknown> = {};
    let bad = false;
    for (const [name, sub] of f) {
      const value = this.value(sub, `${path}.${name}`);
      if (value === BAD) bad = true;
      else obj[name] = value;
    }
    return bad ? BAD : obj;
  }

  /** A short spelling (a string) read into its long form; BAD with the problem added when it does not read. */
  private spelled(field: Field, path: string, read: (text: string) => Record<string, unknown>): unknown {
    const value = this.value(field, path);
    if (value === BAD) return BAD;
    if (typeof value !== 'string') {
      // `server: [2001:db8::1]:80` unquoted is a YAML list: say how to write it.
      const hint = Array.isArray(value) ? " (quote an IPv6 address with a port: '[2001:db8::1]:80')" : '';
      this.problems.add(this.placeOfField(field), path, `expected an address (or a mapping), got ${show(value)}${hint}`);
      return BAD;
    }
    try {
      return read(value);
    } catch (err) {
      if (!(err instanceof SpellingError)) throw err;
      this.problems.add(this.placeOfField(field), path, `expected ${err.message}`);
      return BAD;
    }
  }

  /** Runs a validator; its complaint becomes a problem at the place of the field it names. */
  private check(validate: () => unknown, path: string): boolean {
    return this.attempt(() => (validate(), true), path) ?? false;
  }

  /** A validator's result, or undefined with its complaint added as a problem. */
  private attempt<T>(validate: () => T, path: string): T | undefined {
    try {
      return validate();
    } catch (err) {
      this.problems.addError(err, (field) => this.placeOfPath(field), path);
      return undefined;
    }
  }

  placeOfField(field: Field): Place {
    return this.source.placeOf(field.value ?? field.key);
  }

  /** The place of a field path, or of the nearest enclosing path with one: `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a`. */
  placeOfPath(path: string): Place {
    for (let p = path; p; p = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
      const place = this.places.get(p);
      if (place) return place;
      if (!/(\.[^.[\]]*|\[\d+\])$/.test(p)) break;
    }
    return { line: 1, column: 1 };
  }
}
