/**
 * A VRRP instance's `track:` list: each entry an interface, a service of the file (its health quorum)
 * or a script, with keepalived's weight semantics (lib/vrrp/priority.ts).
 */
import { IpvsValidationError, show } from '../errors';
import { duration } from '../health/duration';
import type { HealthTable } from '../health/types';
import { serviceId } from '../keys';
import type { DesiredTable } from '../table/types';
import { integer, interfaceName } from '../validate/primitives';
import { serviceKey } from '../validate/service';
import { trackWeight } from '../vrrp/options';
import { notifyCommand } from './director-settings';
import { isSeq, type YamlNode } from './document';
import { SpellingError, serviceSpelling } from './endpoints';
import type { Field, FieldReader } from './health-read';
import { describeService } from './identity';
import { Judge } from './vrrp-judge';
import { VRRP_TRACK_FIELDS, type VrrpTrack } from './vrrp-settings';

const MAX_TRACKS = 64;
const MAX_SCRIPT_MS = 3_600_000;

export function readTracks(
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
