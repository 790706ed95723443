/**
 * The `vrrp:` section read from a document: each field judged alone by the state machine's own
 * validators (lib/vrrp/options.ts) and placed at its value, then what the fields rule out together
 * (an owner that would not preempt, two instances on one VRID, a tracked service the file lacks).
 */
import { IpvsValidationError, show } from '../errors';
import type { HealthTable } from '../health/types';
import type { DesiredTable } from '../table/types';
import { address, addressKind, boolean, interfaceName, oneOf } from '../validate/primitives';
import {
  GARP_FIELDS, OWNER_PRIORITY, advertInterval, defaultGarp, familyAddress, garpField, preemptDelay, priority, vrid, type GarpSettings,
} from '../vrrp/options';
import type { VrrpFamily } from '../vrrp/types';
import { notifyCommand } from './director-settings';
import { isMap, isSeq, scalarOf, type YamlNode } from './document';
import type { Field, FieldReader } from './health-read';
import { Judge, NAME } from './vrrp-judge';
import { VRRP_FIELDS, VRRP_INSTANCE_FIELDS, defaultVrrpSettings, type VrrpInstanceConfig, type VrrpSettings, type VrrpVip } from './vrrp-settings';
import { readSync } from './vrrp-sync-read';
import { readTracks } from './vrrp-track-read';

const MAX_INSTANCES = 255;
const MAX_PEERS = 64;

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

