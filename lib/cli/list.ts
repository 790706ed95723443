/** `node-ipvs list`: the IPVS table as `ipvsadm -L -n` shows it, or as JSON. */
import { formatListing, type ListFormat } from './listing';
import { parse, printJson, UsageError, withClient, type Command } from './common';

const HELP = `usage: node-ipvs list [--stats | --rate | --thresholds | --persistent-conn | --tun-info] [--exact] [--json] [--netns NAME]

Lists virtual services and their real servers, sorted as ipvsadm -L -n sorts them.

options:
  --stats            counters: connections, packets and bytes in and out
  --rate             rates per second (CPS, packets, bytes)
  --exact            exact numbers instead of K/M/G (with --stats or --rate)
  --thresholds       upper and lower connection thresholds
  --persistent-conn  persistent connection counts
  --tun-info         tunnel type, port and checksum mode
  --json             everything the kernel reports, as JSON (counters as strings)
  --netns NAME       the table of network namespace NAME (a name under /run/netns or a path)
`;

const FORMATS: ListFormat[] = ['stats', 'rate', 'thresholds', 'persistent-conn', 'tun-info'];

export const listCommand: Command = {
  summary: 'list services and destinations (ipvsadm -L -n)',
  async run(args) {
    const p = parse(args, {
      stats: { type: 'boolean' }, rate: { type: 'boolean' }, exact: { type: 'boolean' }, thresholds: { type: 'boolean' },
      'persistent-conn': { type: 'boolean' }, 'tun-info': { type: 'boolean' }, json: { type: 'boolean' },
    }, HELP);
    if (!p) return 0;
    const chosen = FORMATS.filter((f) => p.values[f]);
    if (chosen.length > 1) throw new UsageError(`choose one of --${chosen.join(', --')}`);
    return withClient(p.values, async (ipvs) => {
      const info = await ipvs.info();
      const table = await ipvs.getTable();
      if (p.values.json) printJson({ info, services: table });
      else process.stdout.write(formatListing(info, table, chosen[0] ?? 'default', Boolean(p.values.exact)));
      return 0;
    });
  },
};
