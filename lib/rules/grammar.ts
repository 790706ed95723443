/**
 * The words of one line of ipvsadm rules text, read as ipvsadm's option table reads them: which
 * command, which options (each once, each one that command takes). What they mean is parse.ts's.
 */
import type { ForwardingMethod, RuleOperation, TunnelChecksum, TunnelType } from '../types';
import { own } from '../validate/primitives';
import { optionTable, parseArgv, type OptionSpec, type ParsedOption } from './argv';

/** A bad line: the reason, put beside its number by the parser. */
export class LineError extends Error {}

export type Command = RuleOperation['op'];

const COMMANDS: Record<string, Command> = {
  'add-service': 'addService', 'edit-service': 'updateService', 'delete-service': 'deleteService',
  'add-server': 'addDestination', 'edit-server': 'updateDestination', 'delete-server': 'deleteDestination',
  clear: 'flush', zero: 'zero', set: 'setTimeouts', 'start-daemon': 'startDaemon', 'stop-daemon': 'stopDaemon',
};

const SPECS: OptionSpec[] = [
  // commands of rules text
  { name: 'add-service', short: 'A', arity: 'none' }, { name: 'edit-service', short: 'E', arity: 'none' },
  { name: 'delete-service', short: 'D', arity: 'none' }, { name: 'clear', short: 'C', arity: 'none' },
  { name: 'zero', short: 'Z', arity: 'none' }, { name: 'add-server', short: 'a', arity: 'none' },
  { name: 'edit-server', short: 'e', arity: 'none' }, { name: 'delete-server', short: 'd', arity: 'none' },
  // `--set TCP TCPFIN UDP`: three words after it, as ipvsadm's popt table reads them
  { name: 'set', arity: 'none' }, { name: 'start-daemon', arity: 'required' }, { name: 'stop-daemon', arity: 'required' },
  // other ipvsadm commands: known, so the message can say they do not belong here
  { name: 'restore', short: 'R', arity: 'none' }, { name: 'save', short: 'S', arity: 'none' },
  { name: 'list', short: 'L', arity: 'none' }, { name: 'help', short: 'h', arity: 'none' },
  { name: 'version', short: 'v', arity: 'none' },
  // sync daemon options
  { name: 'mcast-interface', arity: 'required' }, { name: 'syncid', arity: 'required' },
  { name: 'sync-maxlen', arity: 'required' }, { name: 'mcast-group', arity: 'required' },
  { name: 'mcast-port', arity: 'required' }, { name: 'mcast-ttl', arity: 'required' },
  // service and destination options
  { name: 'tcp-service', short: 't', arity: 'required' }, { name: 'udp-service', short: 'u', arity: 'required' },
  { name: 'sctp-service', arity: 'required' }, { name: 'fwmark-service', short: 'f', arity: 'required' },
  { name: 'ipv6', short: '6', arity: 'none' }, { name: 'scheduler', short: 's', arity: 'required' },
  { name: 'persistent', short: 'p', arity: 'optional' }, { name: 'netmask', short: 'M', arity: 'required' },
  { name: 'pe', arity: 'required' }, { name: 'ops', short: 'o', arity: 'none' },
  { name: 'sched-flags', short: 'b', arity: 'required' }, { name: 'real-server', short: 'r', arity: 'required' },
  { name: 'gatewaying', short: 'g', arity: 'none' }, { name: 'ipip', short: 'i', arity: 'none' },
  { name: 'masquerading', short: 'm', arity: 'none' }, { name: 'weight', short: 'w', arity: 'required' },
  { name: 'u-threshold', short: 'x', arity: 'required' }, { name: 'l-threshold', short: 'y', arity: 'required' },
  { name: 'tun-type', arity: 'required' }, { name: 'tun-port', arity: 'required' },
  { name: 'tun-nocsum', arity: 'none' }, { name: 'tun-csum', arity: 'none' }, { name: 'tun-remcsum', arity: 'none' },
  { name: 'numeric', short: 'n', arity: 'none' },
];
const TABLE = optionTable(SPECS);
const OTHER_COMMANDS = new Set(['restore', 'save', 'list', 'help', 'version']);

export const SERVICE_OPTS = ['tcp-service', 'udp-service', 'sctp-service', 'fwmark-service', 'ipv6'];
const SERVICE_SETTINGS = ['scheduler', 'persistent', 'netmask', 'pe', 'ops', 'sched-flags'];
const DEST_SETTINGS = [
  'gatewaying', 'ipip', 'masquerading', 'weight', 'u-threshold', 'l-threshold',
  'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum',
];
const DAEMON_OPTS = ['mcast-interface', 'syncid', 'sync-maxlen', 'mcast-group', 'mcast-port', 'mcast-ttl'];
const ALLOWED: Record<Command, string[]> = {
  addService: [...SERVICE_OPTS, ...SERVICE_SETTINGS],
  updateService: [...SERVICE_OPTS, ...SERVICE_SETTINGS],
  deleteService: SERVICE_OPTS,
  addDestination: [...SERVICE_OPTS, 'real-server', ...DEST_SETTINGS],
  updateDestination: [...SERVICE_OPTS, 'real-server', ...DEST_SETTINGS],
  deleteDestination: [...SERVICE_OPTS, 'real-server'],
  flush: [],
  zero: SERVICE_OPTS,
  setTimeouts: [],
  startDaemon: DAEMON_OPTS,
  stopDaemon: [],
};

export const FORWARD_OPTS: Record<string, ForwardingMethod> = { gatewaying: 'route', ipip: 'tunnel', masquerading: 'masq' };
export const CHECKSUM_OPTS: Record<string, TunnelChecksum> = { 'tun-nocsum': 'nocsum', 'tun-csum': 'csum', 'tun-remcsum': 'remcsum' };
/** ipvsadm's table of tunnel options per type: '+' required, 'x' illegal, ' ' optional. */
export const TUNNEL_RULES: Record<TunnelType, { port: '+' | 'x'; checksums: TunnelChecksum[] }> = {
  ipip: { port: 'x', checksums: [] },
  gue: { port: '+', checksums: ['nocsum', 'csum', 'remcsum'] },
  gre: { port: 'x', checksums: ['nocsum', 'csum'] },
};

/** ipvsadm's string_to_number: decimal digits only, within range. */
export function number(opt: ParsedOption, min: number, max: number): number {
  const v = opt.value ?? '';
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new LineError(`${opt.spelling} expects an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Fwmarks from 1 to 2^32-1; ipvsadm's own negative spelling of marks >= 2^31 is read too. */
export function fwmark(opt: ParsedOption): number {
  const v = opt.value ?? '';
  if (!/^-?\d+$/.test(v)) throw new LineError(`${opt.spelling} expects a firewall mark, got ${JSON.stringify(v)}`);
  let n = Number(v);
  if (n < 0 && n >= -0x80000000) n += 0x100000000;
  if (!(n >= 1 && n <= 0xffffffff)) throw new LineError(`${opt.spelling} expects a firewall mark from 1 to 4294967295, got ${v}`);
  return n;
}

export interface Line {
  command: Command;
  /** The command as written, with its value (--start-daemon's state). */
  commandOpt: ParsedOption;
  opts: Map<string, ParsedOption>;
  /** Words that are no option: only `--set` has any. */
  words: string[];
}

export function readLine(words: string[]): Line {
  let command: Command | undefined;
  let commandOpt: ParsedOption | undefined;
  let commandSpelling = '';
  const opts = new Map<string, ParsedOption>();
  const positionals: string[] = [];
  for (const opt of parseArgv(words, TABLE, positionals)) {
    if (OTHER_COMMANDS.has(opt.name)) throw new LineError(`${opt.spelling} is not a command of rules text`);
    if (opt.name === 'numeric') continue;
    const named = own(COMMANDS, opt.name);
    if (named) {
      if (command) throw new LineError(`two commands on one line (${commandSpelling} and ${opt.spelling})`);
      command = named;
      commandOpt = opt;
      commandSpelling = opt.spelling;
      continue;
    }
    if (opts.has(opt.name)) throw new LineError(`option ${opt.spelling} given twice`);
    opts.set(opt.name, opt);
  }
  if (!command || !commandOpt) throw new LineError('no command (-A, -E, -D, -a, -e, -d, -C, -Z, --set, --start-daemon or --stop-daemon)');
  for (const [name, opt] of opts)
    if (!own(ALLOWED, command)?.includes(name)) throw new LineError(`option ${opt.spelling} does not apply to ${commandSpelling}`);
  if (command !== 'setTimeouts' && positionals.length) throw new LineError(`unexpected word ${JSON.stringify(positionals[0])}`);
  return { command, commandOpt, opts, words: positionals };
}
