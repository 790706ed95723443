/** flush, zero, timeouts, daemon and info: the table-wide subcommands. */
import type { DaemonOptions, DaemonState, Timeouts } from '../types';
import { SERVICE_HELP, SERVICE_OPTIONS, intOption, parse, printJson, serviceFrom, UsageError, withClient, type Command } from './common';

const NETNS = '  --netns NAME     the table of network namespace NAME\n';

export const flushCommand: Command = {
  async run(args) {
    const p = parse(args, {}, `usage: node-ipvs flush [--netns NAME]\n\nDeletes every virtual service and real server.\n\noptions:\n${NETNS}`);
    if (!p) return 0;
    await withClient(p.values, (ipvs) => ipvs.flush());
    return 0;
  },
};

export const zeroCommand: Command = {
  async run(args) {
    const p = parse(args, SERVICE_OPTIONS, `usage: node-ipvs zero [SERVICE] [--netns NAME]\n\nZeroes the counters of SERVICE, or of every service.\n\n${SERVICE_HELP}options:\n${NETNS}`);
    if (!p) return 0;
    const service = serviceFrom(p.values, false);
    await withClient(p.values, (ipvs) => ipvs.zero(service));
    return 0;
  },
};

const TIMEOUTS_HELP = `usage: node-ipvs timeouts [--tcp S] [--tcp-fin S] [--udp S] [--json] [--netns NAME]

Without values, prints the connection timeouts (seconds) as ipvsadm -L --timeout
does. With values, sets those; the others stay as they are.

options:
  --tcp S, --tcp-fin S, --udp S   new timeouts in seconds (at least 1)
  --json                          print as JSON
${NETNS}`;

export const timeoutsCommand: Command = {
  async run(args) {
    const p = parse(args, { tcp: { type: 'string' }, 'tcp-fin': { type: 'string' }, udp: { type: 'string' }, json: { type: 'boolean' } }, TIMEOUTS_HELP);
    if (!p) return 0;
    const set: Partial<Timeouts> = {};
    const tcp = intOption(p.values, 'tcp');
    const tcpFin = intOption(p.values, 'tcp-fin');
    const udp = intOption(p.values, 'udp');
    if (tcp !== undefined) set.tcp = tcp;
    if (tcpFin !== undefined) set.tcpFin = tcpFin;
    if (udp !== undefined) set.udp = udp;
    return withClient(p.values, async (ipvs) => {
      if (Object.keys(set).length) await ipvs.setTimeouts(set);
      const t = await ipvs.getTimeouts();
      if (p.values.json) printJson(t);
      else process.stdout.write(`Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`);
      return 0;
    });
  },
};

const DAEMON_HELP = `usage: node-ipvs daemon list [--json]
       node-ipvs daemon start master|backup --interface IF [--sync-id N] [--max-length N]
                              [--group ADDR] [--port N] [--ttl N]
       node-ipvs daemon stop master|backup

Connection-synchronisation daemons, which copy connection state from a master
director to backups (for failover).

options:
${NETNS}`;

export const daemonCommand: Command = {
  async run(args) {
    const p = parse(args, {
      interface: { type: 'string' }, 'sync-id': { type: 'string' }, 'max-length': { type: 'string' },
      group: { type: 'string' }, port: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' },
    }, DAEMON_HELP, true);
    if (!p) return 0;
    const [action, state] = p.positionals;
    if (action === 'list') {
      return withClient(p.values, async (ipvs) => {
        const daemons = await ipvs.listDaemons();
        if (p.values.json) printJson(daemons);
        else for (const d of daemons)
          process.stdout.write(`${d.state} sync daemon (mcast=${d.interface}, syncid=${d.syncId}${d.maxLength ? `, maxlen=${d.maxLength}` : ''}${d.group ? `, group=${d.group}` : ''}${d.port ? `, port=${d.port}` : ''}${d.ttl ? `, ttl=${d.ttl}` : ''})\n`);
        return 0;
      });
    }
    if (action !== 'start' && action !== 'stop') throw new UsageError('expected `daemon list`, `daemon start master|backup` or `daemon stop master|backup`');
    if (state !== 'master' && state !== 'backup') throw new UsageError(`daemon ${action}: expected master or backup, got ${JSON.stringify(state)}`);
    if (action === 'stop') {
      await withClient(p.values, (ipvs) => ipvs.stopDaemon(state as DaemonState));
      return 0;
    }
    if (typeof p.values.interface !== 'string') throw new UsageError('daemon start: --interface IF is required');
    const d: DaemonOptions = { state, interface: p.values.interface };
    const syncId = intOption(p.values, 'sync-id');
    const maxLength = intOption(p.values, 'max-length');
    const port = intOption(p.values, 'port');
    const ttl = intOption(p.values, 'ttl');
    if (syncId !== undefined) d.syncId = syncId;
    if (maxLength !== undefined) d.maxLength = maxLength;
    if (typeof p.values.group === 'string') d.group = p.values.group;
    if (port !== undefined) d.port = port;
    if (ttl !== undefined) d.ttl = ttl;
    await withClient(p.values, (ipvs) => ipvs.startDaemon(d));
    return 0;
  },
};

export const infoCommand: Command = {
  async run(args) {
    const p = parse(args, { json: { type: 'boolean' } }, `usage: node-ipvs info [--json] [--netns NAME]\n\noptions:\n  --json           print as JSON\n${NETNS}`);
    if (!p) return 0;
    return withClient(p.values, async (ipvs) => {
      const info = await ipvs.info();
      if (p.values.json) printJson(info);
      else process.stdout.write(`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})\n`);
      return 0;
    });
  },
};
