/** The `vrrp.sync` mapping: which instance drives the kernel's sync daemons, and which daemons each state runs. */
import { IpvsValidationError, show } from '../errors';
import { integer, interfaceName, oneOf } from '../validate/primitives';
import { daemonOptions } from '../validate/settings';
import { ipvsSysctlChange, type IpvsSysctls } from '../host/settings';
import { isMap } from './document';
import type { Field, FieldReader } from './health-read';
import { Judge } from './vrrp-judge';
import {
  VRRP_RUN_FIELDS, VRRP_SYNC_FIELDS, VRRP_SYNC_SETTINGS, defaultDaemonPlan, planOf, type VrrpDaemonPlan, type VrrpInstanceConfig, type VrrpSyncConfig,
} from './vrrp-settings';

export function readSync(reader: FieldReader, field: Field, path: string, instances: readonly VrrpInstanceConfig[], written: ReadonlySet<string>): VrrpSyncConfig | null {
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
  const mode = j.take('mode', (v, at) => oneOf(v, at, ['both', 'follow'] as const));
  if (mode !== undefined && f.get('run')) j.problem('run', 'no run beside a mode (a mode names a plan: give one of them)');
  const run = f.get('run') ? readRun(reader, f.get('run')!, j.at('run'), j) : mode ? planOf(mode) : defaultDaemonPlan();
  const settings = f.get('settings') ? readSettings(reader, f.get('settings')!, j.at('settings'), j) : {};
  const extra: Partial<Pick<VrrpSyncConfig, 'maxLength' | 'group' | 'port' | 'ttl'>> = {};
  for (const name of ['maxLength', 'group', 'port', 'ttl'] as const) {
    // The client's own check of a sync daemon's options, one field at a time.
    const value = j.take(name, (v) => daemonOptions({ state: 'master', interface: 'lo', [name]: v }, path)[name]);
    if (value !== undefined) (extra as Record<string, unknown>)[name] = value;
  }
  if (j.bad || instance === undefined || iface === undefined || syncId === undefined) return null;
  return { instance, interface: iface, syncId, run, settings, ...extra };
}

/** The IPVS sysctls the agent sets before it starts the daemons, each judged as the host helpers judge it. */
function readSettings(reader: FieldReader, field: Field, path: string, owner: Judge): IpvsSysctls {
  const out: Record<string, unknown> = {};
  if (!field.value || !isMap(field.value)) {
    owner.problem('settings', `expected IPVS settings for the sync daemons: a mapping such as { sloppyTcp: true, syncRefreshPeriod: 10 }, got ${show(reader.value(field, path))}`);
    return out;
  }
  const f = reader.fields(field.value, path, VRRP_SYNC_SETTINGS, 'an IPVS setting the sync daemons depend on');
  if (!f) return out;
  const j = new Judge(reader, f, path);
  for (const name of VRRP_SYNC_SETTINGS) {
    const value = j.take(name, (v, at) => {
      ipvsSysctlChange(name, v, at);
      return v;
    });
    if (value !== undefined) out[name] = value;
  }
  if (j.bad || f.size !== field.value.items.length) owner.bad = true;
  return out as IpvsSysctls;
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
