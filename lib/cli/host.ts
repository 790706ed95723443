/**
 * `node-ipvs host ROLE start|stop|status`: the LVS director and real-server
 * init scripts as one command over the host helpers. start keeps the undo
 * record in a state file, stop puts back exactly what start found, status
 * exits 0 when the host is set up and 3 when it is not (as LSB init scripts do).
 */
import { closeSync, constants as fsConstants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IpvsValidationError } from '../errors';
import {
  defaultRoute, director, drRealServer, tunRealServer, vip, type IpvsSysctls,
} from '../host';
import { undoRecord, vipRecord } from '../host/records';
import { onlyKeys, plainObject } from '../validate/primitives';
import { CommandFailure, fitHelp, parse, printJson, UsageError, type Command, type Options, type Values } from './common';

const STATE_DIR = '/run/node-ipvs';

interface Role {
  summary: string;
  options: Options;
  help: string;
  start(v: Values, netns: HostNetns): Promise<unknown>;
  stop(record: never): Promise<void>;
  status(v: Values, netns: HostNetns): Promise<{ ready: boolean }>;
}

type HostNetns = { netns?: string };

const strings = (v: Values, name: string): string[] => {
  const x = (v as Record<string, unknown>)[name];
  return x === undefined ? [] : (x as string[]);
};

const noRedirects = (v: Values) => (v['no-redirects'] === undefined ? {} : { noRedirects: strings(v, 'no-redirects') });

function required(v: Values, name: string): string {
  const x = v[name];
  if (typeof x !== 'string') throw new UsageError(`--${name} is required`);
  return x;
}

/** IPVS settings as NAME=VALUE: true/false, whole numbers, or two numbers with a comma (syncThreshold=3,50). */
export function ipvsSettings(pairs: string[]): IpvsSysctls {
  // No prototype: a NAME such as 'constructor' is an own key, refused by name like any unknown setting.
  const out: Record<string, unknown> = Object.create(null);
  for (const pair of pairs) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(pair);
    if (!m) throw new UsageError(`--set ${pair}: expected NAME=VALUE, e.g. expireNodestConn=true`);
    const [, name, text] = m;
    if (text === 'true' || text === 'false') out[name] = text === 'true';
    else if (/^\d+$/.test(text)) out[name] = Number(text);
    else if (/^\d+,\d+$/.test(text)) out[name] = text.split(',').map(Number);
    else throw new UsageError(`--set ${pair}: the value must be true, false, a number or two numbers (3,50)`);
  }
  return out as IpvsSysctls;
}

/** A helper with apply / undo / status over one set of options: start and status build them alike. */
interface Helper<O, R> {
  apply(options: O): Promise<R>;
  undo(record: R): Promise<void>;
  status(options: O): Promise<{ ready: boolean }>;
}

function helperRole<O, R>(summary: string, options: Options, help: string, helper: Helper<O, R>, optionsOf: (v: Values) => Omit<O, 'netns'>): Role {
  return {
    summary, options, help,
    start: (v, ns) => helper.apply({ ...ns, ...optionsOf(v) } as O),
    stop: (record: never) => helper.undo(record),
    status: (v, ns) => helper.status({ ...ns, ...optionsOf(v) } as O),
  };
}

const NETNS_HELP = '  --netns NAME         act in network namespace NAME\n  --state FILE         where start keeps what stop needs (default /run/node-ipvs/ROLE[@NETNS].json)\n  --json               status as JSON\n';

const ROLES: Record<string, Role> = {
  director: {
    summary: 'forwarding, IPVS settings and the VIP on an interface',
    options: { vip: { type: 'string' }, interface: { type: 'string' }, 'ipv6-forwarding': { type: 'boolean' }, 'no-ipv4-forwarding': { type: 'boolean' }, set: { type: 'string', multiple: true }, 'no-redirects': { type: 'string', multiple: true } },
    help: `  --vip ADDR           the VIP to hold (with --interface)
  --interface IF       the interface facing the clients
  --ipv6-forwarding    turn IPv6 forwarding on too
  --no-ipv4-forwarding leave IPv4 forwarding alone (DR and TUN need none)
  --no-redirects IF    ICMP redirects off on IF and all (repeatable): NAT with clients and real
                       servers on one segment, where a redirect sends replies around the director
  --set NAME=VALUE     an IPVS setting by its typed name (repeatable): conntrack=true, syncThreshold=3,50
`,
    async start(v, ns) {
      const settings = ipvsSettings(strings(v, 'set'));
      const record = await director.apply({
        ...ns, ipv4Forwarding: !v['no-ipv4-forwarding'], ...(v['ipv6-forwarding'] ? { ipv6Forwarding: true } : {}),
        ...(Object.keys(settings).length ? { ipvs: settings } : {}), ...noRedirects(v),
      });
      if (v.vip === undefined) return { director: record };
      try {
        return { director: record, vip: await vip.apply({ ...ns, address: v.vip as string, interface: required(v, 'interface') }) };
      } catch (err) {
        await director.undo(record).catch(() => {});
        throw err;
      }
    },
    async stop(record: unknown) {
      // Both parts are checked before either is undone.
      const o = plainObject(record, 'record');
      onlyKeys(o, ['director', 'vip'], 'record');
      const d = undoRecord(o.director, 'record.director');
      const v = o.vip === undefined ? undefined : vipRecord(o.vip, 'record.vip');
      if (v) await vip.undo(v);
      await director.undo(d);
    },
    async status(v, ns) {
      const d = await director.status({ ...ns, ...noRedirects(v) });
      if (v.vip === undefined) return d;
      const address = await vip.status({ ...ns, address: v.vip as string, interface: required(v, 'interface') });
      return { ...d, vip: address, ready: d.ready && address.present && address.up };
    },
  },
  'dr-real-server': helperRole('ARP settings, then the VIP on lo',
    { vip: { type: 'string' }, interface: { type: 'string', multiple: true } },
    `  --vip ADDR           the VIP (required)
  --interface IF       an interface facing the director and clients (repeatable, at least one)
`,
    drRealServer, (v) => ({ interfaces: strings(v, 'interface'), vip: required(v, 'vip') })),
  'tun-real-server': helperRole('ARP and rp_filter settings, then the VIP on the tunnel device',
    { vip: { type: 'string' }, interface: { type: 'string', multiple: true }, tunnel: { type: 'string' } },
    `  --vip ADDR           the VIP (required)
  --interface IF       an interface facing the director and clients (repeatable, at least one)
  --tunnel DEV         the tunnel device (default tunl0, or ip6tnl0 for an IPv6 VIP)
`,
    tunRealServer, (v) => ({ interfaces: strings(v, 'interface'), vip: required(v, 'vip'), ...(v.tunnel ? { tunnel: v.tunnel as string } : {}) })),
  'nat-real-server': helperRole('the default route through the director',
    { gateway: { type: 'string' }, interface: { type: 'string' } },
    `  --gateway ADDR       the director's address on the real servers' network (required)
  --interface IF       the interface towards it (default: the kernel finds it)
`,
    defaultRoute, (v) => ({ gateway: required(v, 'gateway'), ...(v.interface ? { interface: v.interface as string } : {}) })),
};

function usage(): string {
  const roles = Object.entries(ROLES).map(([name, r]) => `  ${name.padEnd(16)} ${r.summary}`).join('\n');
  return `usage: node-ipvs host ROLE start|stop|status [options]

Start / stop / status of an LVS director or real server, as init scripts do. start
applies the settings and keeps what it found in a state file; stop puts exactly
that back; status exits 0 when the host is set up, 3 when it is not.

roles:
${roles}

node-ipvs host ROLE --help lists a role's options.
`;
}

function statePath(role: string, v: Values): string {
  if (typeof v.state === 'string') return v.state;
  const ns = typeof v.netns === 'string' ? `@${basename(v.netns)}` : '';
  return join(STATE_DIR, `${role}${ns}.json`);
}

/**
 * The state file's record. Opened without blocking (a FIFO given as --state must not hang
 * stop) and only if it is a regular file; a file that is no JSON is a one-line failure.
 */
function readState(path: string): unknown {
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  let text: string;
  try {
    if (!fstatSync(fd).isFile()) throw new CommandFailure(`${path} is not a state file (not a regular file)`);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CommandFailure(`${path} is not a state file start wrote: ${(err as Error).message}`);
  }
}

function describeStatus(s: Record<string, unknown>): string {
  return `${s.ready ? 'set up' : 'not set up'}\n${JSON.stringify(s, null, 2)}\n`;
}

export const hostCommand: Command = {
  async run(args) {
    const [roleName, action, ...rest] = args;
    if (!roleName || roleName === '--help' || roleName === '-h') {
      (roleName ? process.stdout : process.stderr).write(fitHelp(usage()));
      return roleName ? 0 : 2;
    }
    const role = Object.hasOwn(ROLES, roleName) ? ROLES[roleName] : undefined;
    if (!role) throw new UsageError(`unknown role '${roleName}' (known: ${Object.keys(ROLES).join(', ')})`);
    const help = fitHelp(`usage: node-ipvs host ${roleName} start|stop|status [options]\n\n${role.summary}.\n\noptions:\n${role.help}${NETNS_HELP}`);
    if (action === '--help' || action === '-h') {
      process.stdout.write(help);
      return 0;
    }
    if (action !== 'start' && action !== 'stop' && action !== 'status')
      throw new UsageError(`host ${roleName}: expected start, stop or status, got ${action === undefined ? 'nothing' : `'${action}'`}`);
    const p = parse(rest, { ...role.options, state: { type: 'string' }, json: { type: 'boolean' } }, help);
    if (!p) return 0;
    const ns: HostNetns = typeof p.values.netns === 'string' ? { netns: p.values.netns } : {};
    const state = statePath(roleName, p.values);
    if (action === 'start') {
      if (existsSync(state)) throw new CommandFailure(`already started: ${state} holds what stop needs (run stop first)`);
      const record = await role.start(p.values, ns);
      try {
        mkdirSync(dirname(state), { recursive: true });
        // 'wx': a file that appeared since the check above is not followed or overwritten.
        writeFileSync(state, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
      } catch (err) {
        // Without the record stop could not undo start: put everything back.
        const undone = await role.stop(record as never).then(() => 'everything start did was put back', (e: Error) => `putting back what start did failed too: ${e.message}`);
        throw new CommandFailure(`could not keep the state file ${state} (${(err as Error).message}); ${undone}`);
      }
      return 0;
    }
    if (action === 'stop') {
      if (!existsSync(state)) throw new CommandFailure(`not started: no state file ${state}`);
      try {
        await role.stop(readState(state) as never);
      } catch (err) {
        // Name the file: the record's fields are only meaningful next to it.
        if (err instanceof IpvsValidationError) throw new CommandFailure(`${state}: ${err.message}; nothing was changed`);
        throw err;
      }
      unlinkSync(state);
      return 0;
    }
    const status = await role.status(p.values, ns);
    if (p.values.json) printJson(status);
    else process.stdout.write(describeStatus(status as Record<string, unknown>));
    return status.ready ? 0 : 3;
  },
};
