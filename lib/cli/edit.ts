/** add-service, edit-service, delete-service, add-dest, edit-dest, delete-dest. */
import type { Ipvs } from '../ipvs';
import { EndpointError, parseEndpoint } from '../rules/endpoint';
import type { DestinationKey, DestinationOptions, ForwardingMethod, ServiceKey, ServiceOptions } from '../types';
import {
  SERVICE_HELP, SERVICE_OPTIONS, intOption, parse, serviceFrom, UsageError, withClient, type Command, type Values,
} from './common';

const SERVICE_SETTINGS_HELP = `settings:
  --scheduler NAME      rr, wrr, lc, wlc (default), lblc, lblcr, dh, sh, sed, nq,
                        fo, ovf, mh, twos, ...
  --sched-flags A,B     scheduler flags: sh-fallback, sh-port, mh-fallback,
                        mh-port, flag-1..3
  --one-packet          one-packet scheduling (UDP); --no-one-packet: off
  --persistent SECONDS  keep each client on one server; --no-persistent: off
  --netmask MASK        persistence granularity: 255.255.255.0 or a prefix
  --pe NAME             persistence engine (sip); --no-pe: none
`;

const DEST_KEY_HELP = `destination:
  --server ADDR[:PORT]  the real server (port defaults to the service's)
`;

const DEST_HELP = `${DEST_KEY_HELP}settings:
  --method M            masq (NAT), route (DR, the default), tunnel (TUN),
                        local, bypass
  --weight N            0..2147483647 (default 1; 0 takes no new connections)
  --upper N, --lower N  connection thresholds (0: none)
  --tunnel-type T       ipip (default), gue, gre (with --method tunnel)
  --tunnel-port PORT    the GUE port
  --tunnel-checksum C   nocsum (default), csum, remcsum
`;

const SERVICE_SETTING_OPTIONS = {
  scheduler: { type: 'string' }, 'sched-flags': { type: 'string' }, 'one-packet': { type: 'boolean' },
  'no-one-packet': { type: 'boolean' }, persistent: { type: 'string' }, 'no-persistent': { type: 'boolean' },
  netmask: { type: 'string' }, pe: { type: 'string' }, 'no-pe': { type: 'boolean' },
} as const;

const DEST_OPTIONS = {
  server: { type: 'string' }, method: { type: 'string' }, weight: { type: 'string' }, upper: { type: 'string' },
  lower: { type: 'string' }, 'tunnel-type': { type: 'string' }, 'tunnel-port': { type: 'string' },
  'tunnel-checksum': { type: 'string' },
} as const;

const METHOD_ALIASES: Record<string, ForwardingMethod> = {
  masq: 'masq', nat: 'masq', route: 'route', dr: 'route', tunnel: 'tunnel', tun: 'tunnel', local: 'local', bypass: 'bypass',
};

function serviceOptions(v: Values): ServiceOptions {
  const o: ServiceOptions = {};
  if (typeof v.scheduler === 'string') o.scheduler = v.scheduler;
  if (typeof v['sched-flags'] === 'string') o.schedulerFlags = v['sched-flags'].split(',').filter(Boolean) as ServiceOptions['schedulerFlags'];
  if (v['one-packet'] && v['no-one-packet']) throw new UsageError('--one-packet and --no-one-packet contradict');
  if (v['one-packet']) o.onePacket = true;
  if (v['no-one-packet']) o.onePacket = false;
  if (v['no-persistent'] && (v.persistent !== undefined || v.netmask !== undefined))
    throw new UsageError('--no-persistent contradicts --persistent/--netmask');
  if (v.persistent !== undefined || v.netmask !== undefined) {
    const netmask = typeof v.netmask === 'string' ? (/^\d+$/.test(v.netmask) ? Number(v.netmask) : v.netmask) : undefined;
    o.persistence = { ...(v.persistent !== undefined ? { timeout: intOption(v, 'persistent') } : {}), ...(netmask !== undefined ? { netmask } : {}) };
  }
  if (v['no-persistent']) o.persistence = false;
  if (typeof v.pe === 'string') o.persistenceEngine = v.pe;
  if (v['no-pe']) o.persistenceEngine = null;
  return o;
}

function destinationKey(v: Values, service: ServiceKey): DestinationKey {
  if (typeof v.server !== 'string') throw new UsageError('no destination given: use --server ADDR[:PORT]');
  try {
    const ep = parseEndpoint(v.server, 'protocol' in service ? service.protocol : 'tcp');
    return { address: ep.address, port: ep.port ?? ('port' in service ? service.port : 0) };
  } catch (err) {
    if (err instanceof EndpointError) throw new UsageError(`--server: ${err.message}`);
    throw err;
  }
}

function destinationOptions(v: Values): DestinationOptions {
  const o: DestinationOptions = {};
  if (typeof v.method === 'string') {
    const m = METHOD_ALIASES[v.method.toLowerCase()];
    if (!m) throw new UsageError(`--method: expected masq, route, tunnel, local or bypass (or nat, dr, tun), got ${JSON.stringify(v.method)}`);
    o.forwarding = m;
  }
  const weight = intOption(v, 'weight');
  if (weight !== undefined) o.weight = weight;
  const upper = intOption(v, 'upper');
  if (upper !== undefined) o.upperThreshold = upper;
  const lower = intOption(v, 'lower');
  if (lower !== undefined) o.lowerThreshold = lower;
  const tunnelPort = intOption(v, 'tunnel-port');
  if (v['tunnel-type'] !== undefined || tunnelPort !== undefined || v['tunnel-checksum'] !== undefined) {
    o.tunnel = {
      ...(typeof v['tunnel-type'] === 'string' ? { type: v['tunnel-type'] as 'ipip' } : {}),
      ...(tunnelPort !== undefined ? { port: tunnelPort } : {}),
      ...(typeof v['tunnel-checksum'] === 'string' ? { checksum: v['tunnel-checksum'] as 'csum' } : {}),
    };
  }
  return o;
}

function command(usage: string, options: object, action: (v: Values) => (ipvs: Ipvs) => Promise<void>): Command {
  return {
    async run(args) {
      const p = parse(args, { ...SERVICE_OPTIONS, ...(options as object) } as never, usage);
      if (!p) return 0;
      const act = action(p.values);
      await withClient(p.values, act);
      return 0;
    },
  };
}

/** Checks the whole command line first, then returns what to do with the client. */
function destinationAction(v: Values, method: 'addDestination' | 'updateDestination') {
  const s = serviceFrom(v)!;
  const d = destinationKey(v, s);
  const o = destinationOptions(v);
  return (ipvs: Ipvs) => ipvs[method](s, d, o);
}

const NETNS_HELP = 'other:\n  --netns NAME          act on the table of network namespace NAME\n';

export const addServiceCommand = command(
  `usage: node-ipvs add-service SERVICE [SETTINGS]\n\n${SERVICE_HELP}${SERVICE_SETTINGS_HELP}${NETNS_HELP}`,
  SERVICE_SETTING_OPTIONS,
  (v) => { const s = serviceFrom(v)!; const o = serviceOptions(v); return (ipvs) => ipvs.addService(s, o); },
);

export const editServiceCommand = command(
  `usage: node-ipvs edit-service SERVICE [SETTINGS]\n\n${SERVICE_HELP}${SERVICE_SETTINGS_HELP}${NETNS_HELP}`,
  SERVICE_SETTING_OPTIONS,
  (v) => { const s = serviceFrom(v)!; const o = serviceOptions(v); return (ipvs) => ipvs.updateService(s, o); },
);

export const deleteServiceCommand = command(
  `usage: node-ipvs delete-service SERVICE\n\n${SERVICE_HELP}${NETNS_HELP}`,
  {},
  (v) => { const s = serviceFrom(v)!; return (ipvs) => ipvs.deleteService(s); },
);

export const addDestCommand = command(
  `usage: node-ipvs add-dest SERVICE --server ADDR[:PORT] [SETTINGS]\n\n${SERVICE_HELP}${DEST_HELP}${NETNS_HELP}`,
  DEST_OPTIONS,
  (v) => destinationAction(v, 'addDestination'),
);

export const editDestCommand = command(
  `usage: node-ipvs edit-dest SERVICE --server ADDR[:PORT] [SETTINGS]\n\n${SERVICE_HELP}${DEST_HELP}${NETNS_HELP}`,
  DEST_OPTIONS,
  (v) => destinationAction(v, 'updateDestination'),
);

export const deleteDestCommand = command(
  `usage: node-ipvs delete-dest SERVICE --server ADDR[:PORT]\n\n${SERVICE_HELP}${DEST_KEY_HELP}${NETNS_HELP}`,
  { server: { type: 'string' } },
  (v) => { const s = serviceFrom(v)!; const d = destinationKey(v, s); return (ipvs) => ipvs.deleteDestination(s, d); },
);
