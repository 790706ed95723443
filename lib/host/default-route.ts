/**
 * The default route of one family through a gateway. A NAT real server sends
 * its replies back through the director, which rewrites their source to the
 * VIP: its default route points at the director (natRealServer is this
 * helper). A TUN real server across a router needs its default route too.
 * apply() replaces the default route(s) of that family and saves them; undo()
 * removes the new one and puts the saved ones back.
 */
import { address, onlyKeys, plainObject } from '../validate/primitives';
import { AF } from '../constants';
import { scopeOf, type HostOptions } from './changes';
import { hostNet } from './net';
import { defaultRouteRecord } from './records';
import { confScope } from './settings';

export interface DefaultRouteOptions extends HostOptions {
  /** The gateway (for a NAT real server: the director's address on the real servers' network). */
  gateway: string;
  /** The interface towards it (optional: the kernel finds it from the gateway). */
  interface?: string;
}

export interface DefaultRoute {
  gateway: string | null;
  interface: string | null;
}

/** What undo() needs; JSON-safe. */
export interface DefaultRouteRecord {
  netns: string | null;
  family: 'ipv4' | 'ipv6';
  added: DefaultRoute;
  /** The default routes apply() replaced. */
  previous: DefaultRoute[];
}

export interface DefaultRouteStatus {
  defaultRoutes: DefaultRoute[];
  /** The default route goes through the given gateway. */
  ready: boolean;
}

function check(options: DefaultRouteOptions) {
  const o = plainObject(options, 'options');
  onlyKeys(o, ['netns', 'gateway', 'interface'], 'options');
  const gw = address(o.gateway, 'options.gateway');
  const iface = o.interface === undefined ? null : confScope(o.interface, 'options.interface');
  return { netns: scopeOf(options).netns, family: gw.family, gateway: gw.address, interface: iface };
}

function request(op: 'addDefaultRoute' | 'deleteDefaultRoute', family: 'ipv4' | 'ipv6', r: DefaultRoute) {
  return { op, family: AF[family], ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.interface ? { interface: r.interface } : {}) };
}

const describe = (r: DefaultRoute) => `default route${r.gateway ? ` via ${r.gateway}` : ''}${r.interface ? ` dev ${r.interface}` : ''}`;

async function defaultRoutes(netns: string | null, family: 'ipv4' | 'ipv6'): Promise<DefaultRoute[]> {
  return hostNet<DefaultRoute[]>(netns, { op: 'defaultRoutes', family: AF[family] }, `${family} default routes`, 'reading');
}

export const defaultRoute = {
  async apply(options: DefaultRouteOptions): Promise<DefaultRouteRecord> {
    const c = check(options);
    const previous = await defaultRoutes(c.netns, c.family);
    const added: DefaultRoute = { gateway: c.gateway, interface: c.interface };
    for (const r of previous) await hostNet(c.netns, request('deleteDefaultRoute', c.family, r), describe(r), 'removing');
    try {
      await hostNet(c.netns, request('addDefaultRoute', c.family, added), describe(added), 'adding');
    } catch (err) {
      // Put back what was removed: nothing half-applied.
      for (const r of previous) await hostNet(c.netns, request('addDefaultRoute', c.family, r), describe(r), 'restoring').catch(() => {});
      throw err;
    }
    return { netns: c.netns, family: c.family, added, previous };
  },

  async undo(record: DefaultRouteRecord): Promise<void> {
    const r = defaultRouteRecord(record);
    await hostNet(r.netns, request('deleteDefaultRoute', r.family, r.added), describe(r.added), 'removing');
    for (const p of r.previous) await hostNet(r.netns, request('addDefaultRoute', r.family, p), describe(p), 'restoring');
  },

  async status(options: DefaultRouteOptions): Promise<DefaultRouteStatus> {
    const c = check(options);
    const routes = await defaultRoutes(c.netns, c.family);
    return { defaultRoutes: routes, ready: routes.length > 0 && routes.every((r) => r.gateway === c.gateway) };
  },
};

/** A NAT real server: its default route goes through the director. */
export const natRealServer = defaultRoute;
export type NatRealServerOptions = DefaultRouteOptions;
export type NatRealServerRecord = DefaultRouteRecord;
export type NatRealServerStatus = DefaultRouteStatus;
