/** `node-ipvs list`: the IPVS table as `ipvsadm -L -n` shows it (one service, or the connections), or as JSON. */
import { formatConnections } from './connections';
import { formatListing, formatService, orderedTable, type ListFormat } from './listing';
import { parse, printJson, SERVICE_HELP, SERVICE_OPTIONS, serviceFrom, UsageError, withClient, type Command } from './common';

const HELP = `usage: node-ipvs list [SERVICE] [FORMAT] [--exact] [--nosort] [--json]
       node-ipvs list --connection [--persistent-conn] [--json]

Lists virtual services and their real servers as ipvsadm -L -n does, sorted
as it sorts them; with a SERVICE, only that one (as ipvsadm -L -n -t ...).

FORMAT (one of):
  --stats            counters: connections, packets and bytes in and out
  --rate             rates per second (CPS, packets, bytes)
  --thresholds       upper and lower connection thresholds
  --persistent-conn  persistent connection counts
  --tun-info         tunnel type, port and checksum mode

${SERVICE_HELP}
options:
  -c, --connection   the connection table (ipvsadm -L -n -c); with
                     --persistent-conn, persistence-engine data too
  --exact            exact numbers instead of K/M/G (with --stats or --rate)
  --sort             ipvsadm's order (the default)
  --nosort           the kernel's order
  --json             everything the kernel reports, as JSON, in the order
                     the text has (counters as strings)
  -n                 taken for ipvsadm habits: output is always numeric
  --netns NAME       the table of network namespace NAME (a name under
                     /run/netns, or a path)
`;

const FORMATS: ListFormat[] = ['stats', 'rate', 'thresholds', 'persistent-conn', 'tun-info'];

export const listCommand: Command = {
  async run(args) {
    const p = parse(args, {
      ...SERVICE_OPTIONS,
      stats: { type: 'boolean' }, rate: { type: 'boolean' }, exact: { type: 'boolean' }, thresholds: { type: 'boolean' },
      'persistent-conn': { type: 'boolean' }, 'tun-info': { type: 'boolean' }, json: { type: 'boolean' },
      connection: { type: 'boolean', short: 'c' }, sort: { type: 'boolean' }, nosort: { type: 'boolean' },
    }, HELP);
    if (!p) return 0;
    const v = p.values;
    const chosen = FORMATS.filter((f) => v[f]);
    if (chosen.length > 1) throw new UsageError(`choose one of --${chosen.join(', --')}`);
    if (v.sort && v.nosort) throw new UsageError('--sort and --nosort contradict');
    const service = serviceFrom(v, false);
    if (v.connection) {
      if (service) throw new UsageError('--connection lists every connection: it takes no service');
      const other = chosen.filter((f) => f !== 'persistent-conn');
      if (other.length) throw new UsageError(`--connection takes no --${other[0]}`);
      return withClient(v, async (ipvs) => {
        const entries = await ipvs.listConnections();
        if (v.json) printJson(entries);
        // latin1: persistence-engine data is one character per byte; this writes those bytes back.
        else process.stdout.write(Buffer.from(formatConnections(entries, Boolean(v['persistent-conn'])), 'latin1'));
        return 0;
      });
    }
    const format = chosen[0] ?? 'default';
    const exact = Boolean(v.exact);
    const sort = !v.nosort;
    return withClient(v, async (ipvs) => {
      if (service) {
        const entry = { ...(await ipvs.getService(service)), destinations: await ipvs.listDestinations(service) };
        if (v.json) printJson({ info: await ipvs.info(), services: orderedTable([entry], sort) });
        else process.stdout.write(formatService(entry, format, exact, sort));
        return 0;
      }
      const info = await ipvs.info();
      const table = await ipvs.getTable();
      if (v.json) printJson({ info, services: orderedTable(table, sort) });
      else process.stdout.write(formatListing(info, table, format, exact, sort));
      return 0;
    });
  },
};
