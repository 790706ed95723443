/**
 * Undo records read back: every helper's undo() takes a record that may come
 * from a caller or a state file on disk, so each field is validated as its
 * apply() validates options before anything is touched. One validator per
 * record kind, shared by the helpers and the CLI.
 */
import { IpvsValidationError } from '../errors';
import { resolveNetns } from '../netns';
import { address, boolean, integer, onlyKeys, plainObject } from '../validate/primitives';
import type { UndoRecord } from './changes';
import type { DefaultRoute, DefaultRouteRecord } from './default-route';
import type { RealServerRecord } from './real-server';
import { confScope, recordedChange } from './settings';
import type { VipRecord } from './vip';

/** A record's namespace: null (this process's) or one named as everywhere else. */
function netnsOf(value: unknown, field: string): string | null {
  return value === null ? null : resolveNetns(value, field);
}

function arrayOf<T>(value: unknown, field: string, each: (v: unknown, field: string) => T): T[] {
  if (!Array.isArray(value)) throw new IpvsValidationError(field, value, 'an array');
  return value.map((v, i) => each(v, `${field}[${i}]`));
}

/** An address with its prefix, as the VIP helper lists them. */
function prefixed(value: unknown, field: string): { address: string; prefix: number } {
  const o = plainObject(value, field);
  onlyKeys(o, ['address', 'prefix'], field);
  const a = address(o.address, `${field}.address`);
  return { address: a.address, prefix: integer(o.prefix, `${field}.prefix`, 0, a.family === 'ipv6' ? 128 : 32) };
}

/** What applyChanges() returned (director, setIpvsSysctls). */
export function undoRecord(value: unknown, field = 'record', extra: readonly string[] = []): UndoRecord {
  const o = plainObject(value, field);
  onlyKeys(o, ['netns', 'settings', ...extra], field);
  return { netns: netnsOf(o.netns, `${field}.netns`), settings: arrayOf(o.settings, `${field}.settings`, recordedChange) };
}

export function vipRecord(value: unknown, field = 'record'): VipRecord {
  const o = plainObject(value, field);
  onlyKeys(o, ['netns', 'interface', 'address', 'prefix', 'added', 'broughtUp', 'kernelAdded'], field);
  const a = prefixed({ address: o.address, prefix: o.prefix }, field);
  if (a.prefix === 0) throw new IpvsValidationError(`${field}.prefix`, o.prefix, 'a prefix length of at least 1');
  const r: VipRecord = {
    netns: netnsOf(o.netns, `${field}.netns`), interface: confScope(o.interface, `${field}.interface`), address: a.address, prefix: a.prefix,
    added: boolean(o.added, `${field}.added`), broughtUp: boolean(o.broughtUp, `${field}.broughtUp`),
  };
  if (o.kernelAdded !== undefined) r.kernelAdded = arrayOf(o.kernelAdded, `${field}.kernelAdded`, prefixed);
  return r;
}

export function realServerRecord(value: unknown, field = 'record'): RealServerRecord {
  const r: RealServerRecord = undoRecord(value, field, ['vip']);
  const vip = (value as Record<string, unknown>).vip;
  if (vip !== undefined) r.vip = vipRecord(vip, `${field}.vip`);
  return r;
}

function route(family: 'ipv4' | 'ipv6', gatewayRequired: boolean) {
  return (value: unknown, field: string): DefaultRoute => {
    const o = plainObject(value, field);
    onlyKeys(o, ['gateway', 'interface'], field);
    let gateway: string | null = null;
    if (o.gateway !== null || gatewayRequired) {
      const a = address(o.gateway, `${field}.gateway`);
      if (a.family !== family) throw new IpvsValidationError(`${field}.gateway`, o.gateway, `an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address (the record's family)`);
      gateway = a.address;
    }
    return { gateway, interface: o.interface === null ? null : confScope(o.interface, `${field}.interface`) };
  };
}

export function defaultRouteRecord(value: unknown, field = 'record'): DefaultRouteRecord {
  const o = plainObject(value, field);
  onlyKeys(o, ['netns', 'family', 'added', 'previous'], field);
  if (o.family !== 'ipv4' && o.family !== 'ipv6') throw new IpvsValidationError(`${field}.family`, o.family, "'ipv4' or 'ipv6'");
  return {
    netns: netnsOf(o.netns, `${field}.netns`), family: o.family,
    added: route(o.family, true)(o.added, `${field}.added`),
    previous: arrayOf(o.previous, `${field}.previous`, route(o.family, false)),
  };
}
