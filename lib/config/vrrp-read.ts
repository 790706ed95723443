/**
 * The `vrrp:` section read from a document: each field judged alone by the state machine's own
 * validators (lib/vrrp/options.ts) and placed at its value, then what the fields rule out together
 * (an owner that would not preempt, two instances on one VRID, a tracked service the file lacks).
 */
import { IpvsValidationError, show } from '../errors';
import type { HealthTable } from '../health/types';
import { duration } from '../health/duration';
import { serviceId } from '../keys';
import type { DesiredTable } from '../table/types';
import { address, addressKind, boolean, integer, interfaceName, oneOf } from '../validate/primitives';
import { serviceKey } from '../validate/service';
import { daemonOptions } from '../validate/settings';
import {
  GARP_FIELDS, OWNER_PRIORITY, advertInterval, defaultGarp, familyAddress, garpField, preemptDelay, priority, trackWeight, vrid,
  type GarpSettings,
} from '../vrrp/options';
import type { VrrpFamily } from '../vrrp/types';
import { notifyCommand } from './director-settings';
import { isMap, isSeq, scalarOf, type YamlNode } from './document';
import { SpellingError, serviceSpelling } from './endpoints';
import type { Field, FieldReader } from './health-read';
import { describeService } from './identity';
import {
  VRRP_FIELDS, VRRP_INSTANCE_FIELDS, VRRP_RUN_FIELDS, VRRP_SYNC_FIELDS, VRRP_TRACK_FIELDS, defaultDaemonPlan, defaultVrrpSettings,
  type VrrpDaemonPlan, type VrrpInstanceConfig, type VrrpSettings, type VrrpSyncConfig, type VrrpTrack, type VrrpVip,
} from './vrrp-settings';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_INSTANCES = 255;
const MAX_PEERS = 64;
const MAX_TRACKS = 64;
const MAX_SCRIPT_MS = 3_600_000;

/** The fields of one mapping, each value judged by its check; a check's complaint is a problem at that value. */
class Judge {
  /** A field had a problem (the mapping's result is not used). */
  bad = false;

  constructor(private readonly reader: FieldReader, readonly fields: Map<string, Field>, readonly path: string) {}

  has(name: string): boolean {
    return this.fields.has(name);
  }

  at(name: string): string {
    return `${this.path}.${name}`;
  }

  /** The checked value, the fallback when the field is absent, undefined (and bad) when it has a problem. */
  take<T>(name: string, check: (value: unknown, field: string) => T, fallback?: T): T | undefined {
    const field = this.fields.get(name);
    if (!field) return fallback;
    const at = this.at(name);
    const value = this.reader.value(field, at);
    if (typeof value === 'symbol') {
      this.bad = true;
      return undefined;
    }
    return this.attempt(() => check(value, at), at);
  }

  attempt<T>(check: () => T, at: string): T | undefined {
    try {
      return check();
    } catch (err) {
      this.reader.problems.addError(err, (p) => this.reader.placeOfPath(p), at);
      this.bad = true;
      return undefined;
    }
  }

  problem(name: string, message: string): void {
    const at = name ? this.at(name) : this.path;
    this.reader.problems.add(this.reader.placeOfPath(at), at, message);
    this.bad = true;
  }

  missing(name: string, what: string): void {
    this.reader.problems.add(this.reader.placeOfPath(this.path), this.at(name), `missing: ${what}`);
    this.bad = true;
  }
}

export function readVrrp(reader: FieldReader, field: Field, path: string, table: DesiredTable | null, health: HealthTable): VrrpSettings {
  const settings = defaultVrrpSettings();
  if (!field.value || !isMap(field.value)) {
    // `vrrp:` alone (null) is no VRRP.
    if (field.value && reader.value(field, path) !== null)
      reader.problems.add(reader.placeOfField(field), path, `expected the VRRP settings: a mapping with instances:, sync:, got ${show(reader.value(field, path))}`);
    return settings;
  }
  const f = reader.fields(field.value, path, VRRP_FIELDS, 'the VRRP settings');
  if (!f) return settings;
  const list = f.get('instances');
  /** The names written in the list, good instances or not. */
  const written = new Set<string>();
  // A services list with problems of its own is no list to look a tracked service up in.
  const services = reader.problems.list.some((p) => p.field === 'services' || p.field.startsWith('services[')) ? null : table;
  if (list) settings.instances = instances(reader, list, `${path}.instances`, services, health, written);
  const sync = f.get('sync');
  if (sync) settings.sync = readSync(reader, sync, `${path}.sync`, settings.instances, written);
  return settings;
}

function instances(
  reader: FieldReader, field: Field, path: string, table: DesiredTable | null, health: HealthTable, written: Set<string>,
): VrrpInstanceConfig[] {
  // Gives each item its place, so that a problem about a whole instance points at it.
  const plain = reader.value(field, path);
  if (typeof plain === 'symbol') return [];
  if (!field.value || !isSeq(field.value) || field.value.items.length > MAX_INSTANCES) {
    reader.problems.add(reader.placeOfField(field), path, `expected a list of up to ${MAX_INSTANCES} VRRP instances, got ${show(plain)}`);
    return [];
  }
  const out: VrrpInstanceConfig[] = [];
  const names = new Map<string, string>();
  const routers = new Map<string, string>();
  field.value.items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const name = item && isMap(item) ? item.items.find((pair) => scalarOf(pair.key as YamlNode | null) === 'name') : undefined;
    const text = name ? scalarOf(name.value as YamlNode | null) : undefined;
    if (typeof text === 'string') written.add(text);
    const instance = readInstance(reader, item as YamlNode | null, at, table, health);
    if (!instance) return;
    const first = names.get(instance.name);
    if (first) reader.problems.add(reader.placeOfPath(`${at}.name`), `${at}.name`, `${show(instance.name)} is the name of ${first} too: each instance needs its own`);
    else names.set(instance.name, at);
    // One VRID per interface and family: two routers of one host would answer each other's adverts.
    const router = `${instance.interface} ${instance.family} ${instance.vrid}`;
    const twin = routers.get(router);
    if (twin) reader.problems.add(reader.placeOfPath(`${at}.vrid`), `${at}.vrid`, `VRID ${instance.vrid} on ${instance.interface} (${instance.family}) is ${twin}'s too`);
    else routers.set(router, at);
    out.push(instance);
  });
  return out;
}

function readInstance(reader: FieldReader, node: YamlNode | null, path: string, table: DesiredTable | null, health: HealthTable): VrrpInstanceConfig | null {
  const f = reader.fields(node, path, VRRP_INSTANCE_FIELDS, 'a VRRP instance: a mapping with name:, interface:, vrid:, vips: …');
  if (!f) return null;
  const j = new Judge(reader, f, path);
  const name = j.take('name', instanceName);
  if (!j.has('name')) j.missing('name', 'the instance\'s name (keepalived\'s vrrp_instance NAME)');
  const iface = j.take('interface', interfaceName);
  if (!j.has('interface')) j.missing('interface', 'the interface the adverts go out on (e.g. `interface: eth0`)');
  const id = j.take('vrid', vrid);
  if (!j.has('vrid')) j.missing('vrid', 'the virtual router id, 1 to 255 (keepalived\'s virtual_router_id)');
  const prio = j.take('priority', priority, 100);
  const interval = j.take('interval', advertInterval, 1000);
  const preempt = j.take('preempt', boolean, true);
  const delay = j.take('preemptDelay', preemptDelay, 0);
  const accept = j.take('accept', boolean, true);

  const family = j.take('family', (v, at) => oneOf(v, at, ['inet', 'inet6'] as const)) ?? familyOfVips(reader, f.get('vips'));
  const vips = j.take('vips', (v, at) => readVips(v, at, family));
  if (!j.has('vips')) j.missing('vips', 'the virtual addresses (keepalived\'s virtual_ipaddress), e.g. `vips: [203.0.113.10]`');
  const source = j.take('source', (v, at) => unicast(v, at, family), null);
  const peers = j.take('peers', (v, at) => readPeers(v, at, family, source ?? null), []);
  const garp = f.get('garp') ? readGarp(reader, f.get('garp')!, j.at('garp'), j) : defaultGarp();
  const track = f.get('track') ? readTracks(reader, f.get('track')!, j.at('track'), j, table, health) : [];
  const notify: Partial<Record<'notifyMaster' | 'notifyBackup' | 'notifyFault', string[]>> = {};
  for (const hook of ['notifyMaster', 'notifyBackup', 'notifyFault'] as const) {
    const command = j.take(hook, notifyCommand);
    if (command) notify[hook] = command;
  }

  // What the fields rule out together.
  if (prio === OWNER_PRIORITY) {
    if (preempt === false) j.problem('preempt', 'true for an address owner (priority 255 always takes over; keepalived ignores its nopreempt)');
    if (delay) j.problem('preemptDelay', 'no delay for an address owner: priority 255 is master at once');
    track?.forEach((t, i) => {
      if (t.weight !== 0) j.problem(`track[${i}].weight`, `expected 0 for an address owner (priority 255 is never lowered: a tracked input can only put it in fault), got ${t.weight}`);
    });
  } else if (preempt === false && delay) j.problem('preemptDelay', 'no delay with preempt: false (a delay holds back preemption, and there is none)');

  if (j.bad || name === undefined || iface === undefined || id === undefined || prio === undefined || interval === undefined ||
      preempt === undefined || delay === undefined || accept === undefined || vips === undefined || source === undefined || peers === undefined)
    return null;
  return {
    name, interface: iface, vrid: id, family, priority: prio, interval, preempt, preemptDelay: delay, accept, vips, source, peers, garp,
    track, ...notify,
  };
}

function instanceName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) throw new IpvsValidationError(field, value, 'a name of 1 to 64 letters, digits, _ . or -');
  return value;
}

/** The family of the first vip (IPv4 when it cannot tell: the vip's own check then says what is wrong). */
function familyOfVips(reader: FieldReader, field: Field | undefined): VrrpFamily {
  if (!field?.value || !isSeq(field.value)) return 'inet';
  const first = field.value.items[0] as YamlNode | null | undefined;
  const text = first ? reader.value({ key: field.key, value: first }, '') : undefined;
  if (typeof text !== 'string') return 'inet';
  try {
    return address(text.split('/')[0], '').family === 'ipv6' ? 'inet6' : 'inet';
  } catch {
    return 'inet';
  }
}

function readVips(value: unknown, field: string, family: VrrpFamily): VrrpVip[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 255)
    throw new IpvsValidationError(field, value, 'a list of 1 to 255 virtual addresses (ADDRESS or ADDRESS/PREFIX)');
  const seen = new Set<string>();
  return value.map((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== 'string') throw new IpvsValidationError(at, item, 'an address, or ADDRESS/PREFIX');
    const slash = item.indexOf('/');
    const text = slash < 0 ? item : item.slice(0, slash);
    const vip = familyAddress(text, at, family);
    const max = family === 'inet' ? 32 : 128;
    let prefix = max;
    if (slash >= 0) {
      const p = item.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p) || Number(p) < 1 || Number(p) > max) throw new IpvsValidationError(at, item, `ADDRESS/PREFIX with a prefix from 1 to ${max}`);
      prefix = Number(p);
    }
    const kind = addressKind({ family: family === 'inet' ? 'ipv4' : 'ipv6', address: vip });
    if (kind !== 'unicast') throw new IpvsValidationError(at, item, `a unicast address (this one is ${kind})`);
    if (seen.has(vip)) throw new IpvsValidationError(at, item, 'each virtual address once');
    seen.add(vip);
    return { address: vip, prefix };
  });
}

function unicast(value: unknown, field: string, family: VrrpFamily): string {
  const a = familyAddress(value, field, family);
  const kind = addressKind({ family: family === 'inet' ? 'ipv4' : 'ipv6', address: a });
  if (kind !== 'unicast') throw new IpvsValidationError(field, value, `a unicast address (this one is ${kind})`);
  return a;
}

function readPeers(value: unknown, field: string, family: VrrpFamily, source: string | null): string[] {
  if (!Array.isArray(value) || value.length > MAX_PEERS) throw new IpvsValidationError(field, value, `a list of up to ${MAX_PEERS} peer addresses (empty: multicast)`);
  const seen = new Set<string>();
  return value.map((item, i) => {
    const at = `${field}[${i}]`;
    const peer = unicast(item, at, family);
    if (peer === source) throw new IpvsValidationError(at, item, 'another router\'s address (this one is the source)');
    if (seen.has(peer)) throw new IpvsValidationError(at, item, 'each peer once');
    seen.add(peer);
    return peer;
  });
}

function readGarp(reader: FieldReader, field: Field, path: string, owner: Judge): GarpSettings {
  const garp = defaultGarp();
  if (!field.value || !isMap(field.value)) {
    owner.problem('garp', `expected the gratuitous ARP settings: a mapping with repeat:, delay:, refresh:, refreshRepeat:, interval:, got ${show(reader.value(field, path))}`);
    return garp;
  }
  const f = reader.fields(field.value, path, GARP_FIELDS, 'the gratuitous ARP settings');
  if (!f) return garp;
  const j = new Judge(reader, f, path);
  for (const name of GARP_FIELDS) {
    const value = j.take(name, (v, at) => garpField(name, v, at));
    if (value !== undefined) garp[name] = value;
  }
  if (j.bad || f.size !== field.value.items.length) owner.bad = true;
  return garp;
}

function readTracks(
  reader: FieldReader, field: Field, path: string, owner: Judge, table: DesiredTable | null, health: HealthTable,
): VrrpTrack[] {
  const plain = reader.value(field, path);
  if (typeof plain === 'symbol') {
    owner.bad = true;
    return [];
  }
  if (!field.value || !isSeq(field.value) || field.value.items.length > MAX_TRACKS) {
    owner.problem('track', `expected a list of up to ${MAX_TRACKS} tracked inputs ({ interface: eth1 }, { service: tcp 192.0.2.10:80 }, { script: [/usr/local/bin/check] }, each with a weight:), got ${show(plain)}`);
    return [];
  }
  const out: VrrpTrack[] = [];
  const names = new Map<string, string>();
  field.value.items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const track = readTrack(reader, item as YamlNode | null, at, table, health);
    if (!track) {
      owner.bad = true;
      return;
    }
    const first = names.get(track.name);
    if (first) {
      reader.problems.add(reader.placeOfPath(at), at, `${track.name} is tracked at ${first} already`);
      owner.bad = true;
      return;
    }
    names.set(track.name, at);
    out.push(track);
  });
  return out;
}

function readTrack(reader: FieldReader, node: YamlNode | null, path: string, table: DesiredTable | null, health: HealthTable): VrrpTrack | null {
  const f = reader.fields(node, path, VRRP_TRACK_FIELDS, 'a tracked input: a mapping with interface:, service: or script:, and weight:');
  if (!f) return null;
  const j = new Judge(reader, f, path);
  const kinds = (['interface', 'service', 'script'] as const).filter((k) => j.has(k));
  if (kinds.length !== 1) {
    if (kinds.length === 0) j.missing('interface', 'what is tracked: interface: NAME, service: SERVICE or script: [PROGRAM, ARGS…]');
    else j.problem(kinds[1], `one tracked input per entry: this one has ${kinds.join(' and ')}`);
    return null;
  }
  const weight = j.take('weight', trackWeight, 0);
  const kind = kinds[0];
  if (kind !== 'script')
    for (const name of ['interval', 'timeout', 'rise', 'fall'])
      if (j.has(name)) j.problem(name, `${name} is a script's setting (this entry tracks ${kind === 'interface' ? 'an interface' : 'a service'})`);
  if (kind === 'interface') {
    const iface = j.take('interface', interfaceName);
    return j.bad || iface === undefined || weight === undefined ? null : { kind, name: `interface ${iface}`, interface: iface, weight };
  }
  if (kind === 'service') {
    const key = j.take('service', (v, at) => {
      if (typeof v !== 'string') throw new IpvsValidationError(at, v, 'a service of this file, spelled as in its services: list (tcp 192.0.2.10:80, fwmark 1)');
      try {
        return serviceKey(serviceSpelling(v), at);
      } catch (err) {
        if (err instanceof SpellingError) throw new IpvsValidationError(at, v, err.message);
        throw err;
      }
    });
    if (key === undefined || weight === undefined || j.bad) return null;
    const id = serviceId(key);
    const ids = (services: readonly { service: Parameters<typeof serviceKey>[0] }[]) => services.map((s) => serviceId(serviceKey(s.service)));
    // Without a table (the services: list has problems of its own) the service cannot be looked up.
    if (table && !ids(table.services).includes(id)) {
      j.problem('service', `${describeService(key)} is not among this file's services`);
      return null;
    }
    if (table && !ids(health.services).includes(id)) {
      j.problem('service', `${describeService(key)} has no health checks (health: or quorum:): its quorum never changes, so tracking it does nothing`);
      return null;
    }
    return { kind, name: describeService(key), service: publicKey(key), weight };
  }
  const command = j.take('script', notifyCommand);
  const interval = j.take('interval', (v, at) => duration(v, at, 100, MAX_SCRIPT_MS), 1000);
  const timeout = j.take('timeout', (v, at) => duration(v, at, 10, MAX_SCRIPT_MS));
  const rise = j.take('rise', (v, at) => integer(v, at, 1, 100), 1);
  const fall = j.take('fall', (v, at) => integer(v, at, 1, 100), 1);
  if (j.bad || !command || interval === undefined || rise === undefined || fall === undefined || weight === undefined) return null;
  return { kind, name: `script ${command.join(' ')}`, command, weight, interval, timeout: timeout ?? interval, rise, fall };
}

function publicKey(key: ReturnType<typeof serviceKey>) {
  return key.kind === 'fwmark' ? { fwmark: key.fwmark, family: key.family } : { protocol: key.protocol, address: key.address, port: key.port };
}

function readSync(reader: FieldReader, field: Field, path: string, instances: readonly VrrpInstanceConfig[], written: ReadonlySet<string>): VrrpSyncConfig | null {
  if (!field.value || !isMap(field.value)) {
    reader.problems.add(reader.placeOfField(field), path, `expected the sync daemon's settings: a mapping with interface:, instance:, syncId:, run: …, got ${show(reader.value(field, path))}`);
    return null;
  }
  const f = reader.fields(field.value, path, VRRP_SYNC_FIELDS, "the sync daemon's settings");
  if (!f) return null;
  const j = new Judge(reader, f, path);
  const names = instances.map((i) => i.name);
  let instance: string | undefined;
  if (j.has('instance')) {
    instance = j.take('instance', (v, at) => {
      if (typeof v === 'string' && names.includes(v)) return v;
      // An instance with problems of its own is not in the list: its problems say enough.
      if (typeof v === 'string' && written.has(v)) return undefined;
      throw new IpvsValidationError(at, v, names.length ? `the name of a VRRP instance (${names.join(', ')})` : 'the name of a VRRP instance (there is none: add vrrp.instances)');
    });
    if (instance === undefined) j.bad = true;
  } else if (names.length === 1 && written.size === 1) instance = names[0];
  else if (written.size === 0) j.missing('instance', 'a VRRP instance to drive the sync daemon (there is none: add vrrp.instances)');
  else if (written.size > 1) j.missing('instance', `which VRRP instance drives the sync daemon (${[...written].join(', ')})`);
  else j.bad = true;
  const iface = j.take('interface', interfaceName);
  if (!j.has('interface')) j.missing('interface', 'the interface sync messages go out on (keepalived\'s lvs_sync_daemon INTERFACE)');
  const driver = instances.find((i) => i.name === instance);
  const syncId = j.take('syncId', (v, at) => integer(v, at, 0, 255), driver?.vrid);
  const run = f.get('run') ? readRun(reader, f.get('run')!, j.at('run'), j) : defaultDaemonPlan();
  const extra: Partial<Pick<VrrpSyncConfig, 'maxLength' | 'group' | 'port' | 'ttl'>> = {};
  for (const name of ['maxLength', 'group', 'port', 'ttl'] as const) {
    // The client's own check of a sync daemon's options, one field at a time.
    const value = j.take(name, (v) => daemonOptions({ state: 'master', interface: 'lo', [name]: v }, path)[name]);
    if (value !== undefined) (extra as Record<string, unknown>)[name] = value;
  }
  if (j.bad || instance === undefined || iface === undefined || syncId === undefined) return null;
  return { instance, interface: iface, syncId, run, ...extra };
}

function readRun(reader: FieldReader, field: Field, path: string, owner: Judge): VrrpDaemonPlan {
  const plan = defaultDaemonPlan();
  if (!field.value || !isMap(field.value)) {
    owner.problem('run', `expected which daemons run in each state: a mapping with master:, backup:, fault: (lists of master and backup), got ${show(reader.value(field, path))}`);
    return plan;
  }
  const f = reader.fields(field.value, path, VRRP_RUN_FIELDS, 'which daemons run in each state');
  if (!f) return plan;
  const j = new Judge(reader, f, path);
  for (const state of VRRP_RUN_FIELDS) {
    const daemons = j.take(state, (v, at) => {
      if (!Array.isArray(v) || v.length > 2) throw new IpvsValidationError(at, v, 'a list of the daemons to run: [master], [backup], [master, backup] or []');
      const out = v.map((d, i) => oneOf(d, `${at}[${i}]`, ['master', 'backup'] as const));
      if (out.length === 2 && out[0] === out[1]) throw new IpvsValidationError(`${at}[1]`, v[1], 'each daemon once');
      return out;
    });
    if (daemons) plan[state] = daemons;
  }
  if (j.bad || f.size !== field.value.items.length) owner.bad = true;
  return plan;
}
