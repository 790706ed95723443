/** `node-ipvs list`: the IPVS table, as `ipvsadm -L -n` shows it, or as JSON. */
import { parseArgs } from 'node:util';
import { hostPort } from '../describe';
import { Ipvs } from '../ipvs';
import type { DestinationInfo, ServiceInfo } from '../types';

const HELP = `usage: node-ipvs list [--netns NAME] [--json]

Lists virtual services and their real servers.

options:
  --netns NAME   the IPVS table of network namespace NAME (or a path)
  --json         machine-readable output (counters as decimal strings)
`;

const FORWARD_LABEL = { masq: 'Masq', route: 'Route', tunnel: 'Tunnel', local: 'Local', bypass: 'Bypass' } as const;

function serviceLine(s: ServiceInfo): string {
  const k = s.key;
  const head = 'fwmark' in k ? `FWM  ${k.fwmark}${s.family === 'ipv6' ? ' IPv6' : ''}` : `${k.protocol.toUpperCase().padEnd(4)} ${hostPort(k.address, k.port)}`;
  const flags = [...s.config.schedulerFlags, ...(s.config.onePacket ? ['ops'] : [])];
  const persistent = s.config.persistence ? ` persistent ${s.config.persistence.timeout}` : '';
  return `${head} ${s.config.scheduler}${flags.length ? ` (${flags.join(',')})` : ''}${persistent}`;
}

function destinationLine(d: DestinationInfo): string {
  return `  -> ${hostPort(d.key.address, d.key.port).padEnd(28)} ${FORWARD_LABEL[d.config.forwarding].padEnd(7)} ` +
    `${String(d.config.weight).padEnd(6)} ${String(d.connections.active).padEnd(10)} ${d.connections.inactive}`;
}

export const listCommand = {
  summary: 'list services and destinations (like ipvsadm -L -n)',
  async run(args: string[]): Promise<number> {
    const { values } = parseArgs({
      args,
      options: { netns: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const ipvs = await Ipvs.open(values.netns ? { netns: values.netns } : {});
    try {
      const info = await ipvs.info();
      const services = await ipvs.listServices();
      const table = [];
      for (const service of services) table.push({ service, destinations: await ipvs.listDestinations(service.key) });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ info, services: table }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
        return 0;
      }
      const out = [
        `IP Virtual Server version ${info.version} (size=${info.connectionTableSize})`,
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      ];
      for (const { service, destinations } of table) out.push(serviceLine(service), ...destinations.map(destinationLine));
      process.stdout.write(`${out.join('\n')}\n`);
      return 0;
    } finally {
      ipvs.close();
    }
  },
};
