/**
 * ipvsadm rules text -> operations. Every line `ipvsadm -R` accepts that changes
 * the kernel (-A -E -D -a -e -d -C -Z with all their options, --set,
 * --start-daemon, --stop-daemon) means here what it means to ipvsadm: -E and -e
 * replace every setting, with ipvsadm's defaults for what the line leaves out;
 * route and tunnel destinations take the service's port. Every line is checked
 * completely here; a text with any bad line is refused whole (IpvsRulesError
 * lists them all, each with its number).
 */
import { IpvsRulesError, IpvsValidationError, type RuleProblem } from '../errors';
import { deepFreeze, knownService, rememberValidated, validatedOf } from '../intern';
import { addressServiceId, fwmarkServiceId } from '../keys';
import { validateOp, type ValidatedOp } from '../plan';
import type {
  BatchOperation, DaemonOptions, DaemonState, DestinationKey, DestinationOptions, ForwardingMethod, ParsedRule, RuleOperation,
  SchedulerFlag, ServiceKey, ServiceOptions, Timeouts, TunnelChecksum, TunnelType,
} from '../types';
import { destinationConfig } from '../validate/destination';
import { own } from '../validate/primitives';
import { serviceConfig, serviceRecord } from '../validate/service';
import { MAX_TIMEOUT_SECONDS } from '../validate/settings';
import { ArgvError, splitWords, type ParsedOption } from './argv';
import { EndpointError, parseEndpoint } from './endpoint';
import { CHECKSUM_OPTS, FORWARD_OPTS, LineError, SERVICE_OPTS, TUNNEL_RULES, fwmark, number, readLine, type Line } from './grammar';
import { isSettingOperation, validateSetting, type ValidatedSetting } from './settings';

/** A line's operation, checked: the batch path's, or a setting's (sent on its own). */
export type ValidatedRule = ValidatedOp | ValidatedSetting;


/**
 * The line's service key, interned (intern.ts; addresses come back canonical from parseEndpoint):
 * a table's destination lines repeat their service's, and one frozen key shared by all of them is
 * checked once, and found by identity (keys.ts) on every later line.
 */
function sharedServiceOf(opts: Map<string, ParsedOption>): ServiceKey {
  const read = serviceOf(opts);
  const id = 'fwmark' in read
    ? fwmarkServiceId(read.family ?? 'ipv4', read.fwmark)
    : addressServiceId(read.protocol, read.address, read.port);
  return (knownService(id) ?? serviceRecord(read, 'service', id)).publicKey;
}

function serviceOf(opts: Map<string, ParsedOption>): ServiceKey {
  const given = ['tcp-service', 'udp-service', 'sctp-service', 'fwmark-service'].filter((n) => opts.has(n));
  if (given.length === 0) throw new LineError('no service (-t, -u, --sctp-service or -f)');
  if (given.length > 1) throw new LineError(`more than one service (${given.map((n) => opts.get(n)!.spelling).join(', ')})`);
  const opt = opts.get(given[0])!;
  const v6 = opts.has('ipv6');
  if (given[0] === 'fwmark-service') return { fwmark: fwmark(opt), family: v6 ? 'ipv6' : 'ipv4' };
  const protocol = given[0] === 'tcp-service' ? 'tcp' : given[0] === 'udp-service' ? 'udp' : 'sctp';
  const ep = parseEndpoint(opt.value!, protocol);
  if (v6 && ep.family !== 'ipv6') throw new LineError(`-6 with the IPv4 service address ${ep.address}`);
  return { protocol, address: ep.address, port: ep.port ?? 0 };
}

function serviceOptions(opts: Map<string, ParsedOption>, replace: boolean): ServiceOptions {
  const o: ServiceOptions = {};
  const s = opts.get('scheduler');
  if (s || replace) o.scheduler = s?.value ?? 'wlc';
  const b = opts.get('sched-flags');
  if (b || replace) o.schedulerFlags = (b?.value?.split(',').filter(Boolean) ?? []) as SchedulerFlag[];
  if (opts.has('ops') || replace) o.onePacket = opts.has('ops');
  const p = opts.get('persistent');
  if (p) {
    const persistence: { timeout?: number; netmask?: number | string } = {};
    if (p.value !== undefined) persistence.timeout = number(p, 1, 31 * 86400);
    // -M without -p means nothing to ipvsadm either: the kernel ignores the mask of a non-persistent service.
    const m = opts.get('netmask');
    if (m) persistence.netmask = /^\d+$/.test(m.value!) ? Number(m.value) : m.value!;
    o.persistence = persistence;
  } else if (replace) o.persistence = false;
  const pe = opts.get('pe');
  if (pe || replace) o.persistenceEngine = pe?.value ?? null;
  return o;
}

function destinationOf(opts: Map<string, ParsedOption>, service: ServiceKey, forwarding: ForwardingMethod | undefined): DestinationKey {
  const r = opts.get('real-server');
  if (!r) throw new LineError('no real server (-r)');
  const servicePort = 'port' in service ? service.port : 0;
  const ep = parseEndpoint(r.value!, 'protocol' in service ? service.protocol : 'tcp');
  // ipvsadm: route and tunnel destinations of address services always take the service's port.
  const port = (forwarding === 'route' || forwarding === 'tunnel') && 'port' in service ? servicePort : ep.port ?? servicePort;
  return { address: ep.address, port };
}

function forwardingOf(opts: Map<string, ParsedOption>): ForwardingMethod | undefined {
  const given = Object.keys(FORWARD_OPTS).filter((n) => opts.has(n));
  if (given.length > 1) throw new LineError(`more than one forwarding method (${given.map((n) => opts.get(n)!.spelling).join(', ')})`);
  return given.length ? own(FORWARD_OPTS, given[0]) : undefined;
}

function destinationOptions(opts: Map<string, ParsedOption>, forwarding: ForwardingMethod | undefined, replace: boolean): DestinationOptions {
  const o: DestinationOptions = {};
  if (forwarding || replace) o.forwarding = forwarding ?? 'route';
  const w = opts.get('weight');
  if (w || replace) o.weight = w ? number(w, 0, 0x7fffffff) : 1;
  const x = opts.get('u-threshold');
  if (x || replace) o.upperThreshold = x ? number(x, 0, 0x7fffffff) : 0;
  const y = opts.get('l-threshold');
  if (y || replace) o.lowerThreshold = y ? number(y, 0, 0x7fffffff) : 0;

  const tunnelOpts = ['tun-type', 'tun-port', ...Object.keys(CHECKSUM_OPTS)].filter((n) => opts.has(n));
  if (forwarding !== 'tunnel') {
    if (tunnelOpts.length) throw new LineError(`${opts.get(tunnelOpts[0])!.spelling} needs the tunnel method (-i)`);
    if (replace) o.tunnel = null;
    return o;
  }
  const typeOpt = opts.get('tun-type');
  const type = (typeOpt?.value ?? 'ipip') as TunnelType;
  const rules = own(TUNNEL_RULES, type);
  if (!rules) throw new LineError(`--tun-type expects ipip, gue or gre, got ${JSON.stringify(typeOpt!.value)}`);
  const portOpt = opts.get('tun-port');
  if (rules.port === 'x' && portOpt) throw new LineError(`--tun-port does not apply to the '${type}' tunnel type`);
  if (rules.port === '+' && !portOpt) throw new LineError(`the '${type}' tunnel type needs --tun-port`);
  const checksums = Object.keys(CHECKSUM_OPTS).filter((n) => opts.has(n));
  if (checksums.length > 1) throw new LineError(`${opts.get(checksums[1])!.spelling} conflicts with ${opts.get(checksums[0])!.spelling}`);
  const checksum = (checksums.length && own(CHECKSUM_OPTS, checksums[0])) || 'nocsum';
  if (checksums.length && !rules.checksums.includes(checksum))
    throw new LineError(`${opts.get(checksums[0])!.spelling} does not apply to the '${type}' tunnel type`);
  o.tunnel = { type, checksum, ...(portOpt ? { port: number(portOpt, 1, 65535) } : {}) };
  return o;
}

/** ipvsadm's `--set TCP TCPFIN UDP`: seconds, 0 for "leave as it is" (left out of the operation). */
function timeoutsOf(line: Line): Partial<Timeouts> {
  if (line.words.length !== 3)
    throw new LineError(`${line.commandOpt.spelling} takes three timeouts (TCP TCPFIN UDP, 0 to leave one as it is), got ${line.words.length}`);
  const out: Partial<Timeouts> = {};
  (['tcp', 'tcpFin', 'udp'] as const).forEach((name, i) => {
    const n = number({ name, value: line.words[i], spelling: `${line.commandOpt.spelling} (${name})` }, 0, MAX_TIMEOUT_SECONDS);
    if (n) out[name] = n;
  });
  return out;
}

function daemonStateOf(line: Line): DaemonState {
  const state = line.commandOpt.value;
  if (state !== 'master' && state !== 'backup')
    throw new LineError(`${line.commandOpt.spelling} expects master or backup, got ${JSON.stringify(state)}`);
  return state;
}

/** `--start-daemon STATE` and its options; the interface is eth0 unless given, as in ipvsadm. */
function daemonOf(line: Line): DaemonOptions {
  const { opts } = line;
  const d: DaemonOptions = { state: daemonStateOf(line), interface: opts.get('mcast-interface')?.value ?? 'eth0' };
  const syncid = opts.get('syncid');
  if (syncid) d.syncId = number(syncid, 0, 255);
  const maxlen = opts.get('sync-maxlen');
  if (maxlen) d.maxLength = number(maxlen, 1, 65535 - 20 - 8);
  const group = opts.get('mcast-group');
  if (group) d.group = group.value!;
  const port = opts.get('mcast-port');
  if (port) d.port = number(port, 1, 65535);
  const ttl = opts.get('mcast-ttl');
  if (ttl) d.ttl = number(ttl, 1, 255);
  return d;
}

function operationOf(line: Line): RuleOperation {
  const { command, opts } = line;
  if (command === 'setTimeouts') return { op: command, timeouts: timeoutsOf(line) };
  if (command === 'startDaemon') return { op: command, daemon: daemonOf(line) };
  if (command === 'stopDaemon') return { op: command, state: daemonStateOf(line) };
  if (command === 'flush') return { op: 'flush' };
  if (command === 'zero') return opts.size ? { op: 'zero', service: sharedServiceOf(opts) } : { op: 'zero' };
  if (opts.has('ipv6') && !opts.has('fwmark-service') && SERVICE_OPTS.slice(0, 3).every((n) => !opts.has(n)))
    throw new LineError('-6 without a service');
  const service = sharedServiceOf(opts);
  switch (command) {
    case 'addService':
      return { op: command, service, options: serviceOptions(opts, false) };
    case 'updateService':
      return { op: command, service, options: serviceOptions(opts, true) };
    case 'deleteService':
      return { op: command, service };
    default: {
      const forwarding = forwardingOf(opts);
      const destination = destinationOf(opts, service, command === 'deleteDestination' ? undefined : forwarding ?? 'route');
      if (command === 'deleteDestination') return { op: command, service, destination };
      const options = destinationOptions(opts, forwarding, command === 'updateDestination');
      return { op: command, service, destination, options } as BatchOperation;
    }
  }
}

/**
 * -E and -e replace every setting (the line's values, ipvsadm's defaults for the rest), so the whole
 * config a line asks for is known without the kernel's: checked here like an add's. A bad edit is then a
 * bad line of the text, refused before anything is sent, not a failure after earlier lines took effect.
 */
function checkReplacement(op: ValidatedOp): ValidatedOp {
  const options = (op.operation as { options?: unknown }).options;
  if (op.kind === 'updateService') serviceConfig(options, op.service!, null, 'operation.options', 'operation.service');
  if (op.kind === 'updateDestination')
    destinationConfig(options, op.service!, op.destination!, null, 'operation.options', 'operation.destination');
  return op;
}

/** A rule operation of any kind, as given in an array (not parsed here): validated as the client's methods do. */
function validateRule(value: unknown, field: string): ValidatedRule {
  return isSettingOperation(value) ? validateSetting(value, field) : validateOp(value, field);
}

/** Library field paths as the ipvsadm options that set them. */
const FIELD_OPTIONS: [RegExp, string][] = [
  [/^service\.fwmark/, '-f'], [/^service\.(address|port)/, 'service'], [/^options\.scheduler$/, '-s'],
  [/^options\.schedulerFlags/, '-b'], [/^options\.persistence\.timeout/, '-p'], [/^options\.persistence\.netmask/, '-M'],
  [/^options\.persistenceEngine/, '--pe'], [/^options\.onePacket/, '-o'], [/^destination\./, '-r'], [/^options\.weight/, '-w'],
  [/^options\.upperThreshold/, '-x'], [/^options\.lowerThreshold/, '-y'], [/^options\.tunnel\.port/, '--tun-port'],
  [/^timeouts/, '--set'], [/^daemon\.interface/, '--mcast-interface'], [/^daemon\.syncId/, '--syncid'],
  [/^daemon\.maxLength/, '--sync-maxlen'], [/^daemon\.group/, '--mcast-group'], [/^daemon\.port/, '--mcast-port'],
  [/^daemon\.ttl/, '--mcast-ttl'],
];

function reasonOf(err: unknown): string {
  if (err instanceof LineError || err instanceof ArgvError || err instanceof EndpointError) return err.message;
  if (!(err instanceof IpvsValidationError)) return `cannot be read (${err instanceof Error ? err.message : String(err)})`;
  const field = err.field.replace(/^operation\./, '');
  const option = FIELD_OPTIONS.find(([re]) => re.test(field))?.[1] ?? field;
  return `${option}: ${err.message.slice(err.field.length + 2)}`;
}

/**
 * Parses ipvsadm rules text (what `ipvsadm -S -n` writes and `ipvsadm -R` reads) into
 * operations, one per command line; blank lines and `#` comments are skipped. Throws
 * IpvsRulesError naming every bad line (number, text, reason); returns nothing partial.
 */
export function parseRules(text: string): readonly ParsedRule[] {
  const { rules, ops } = parseRulesValidated(text);
  // Frozen, array and all, because restore() trusts the validation made here: a rule changed
  // afterwards would otherwise be applied as it was parsed, not as it reads.
  for (const rule of rules) deepFreeze(rule);
  rememberValidated(Object.freeze(rules), Object.freeze(ops));
  return rules;
}

/** Lines parsed between two returns to the event loop in the async forms. */
const SLICE_LINES = 128;

/**
 * Rules as restore() takes them: text, or what parseRules returned (checked once, not
 * again), or any array of ParsedRule (each operation validated). Text is parsed in
 * slices with the event loop running between them. @internal
 */
export async function rulesToApply(input: string | readonly ParsedRule[]): Promise<{ rules: readonly ParsedRule[]; ops: readonly ValidatedRule[] }> {
  if (typeof input === 'string') {
    const parser = new Parser(input);
    while (!parser.done) {
      parser.step(SLICE_LINES);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return parser.result();
  }
  if (!Array.isArray(input)) throw new IpvsValidationError('rules', input, 'rules text or an array of parsed rules');
  // What parseRules returned was validated there and cannot have changed since (frozen, see intern.ts).
  const known = validatedOf<ValidatedRule>(input);
  if (known && known.length === input.length) return { rules: input, ops: known };
  // A plain loop, not map(): map() skips the holes of a sparse array, which would reach the planner unchecked.
  const ops: ValidatedRule[] = [];
  for (let i = 0; i < input.length; i++) ops.push(validateRule((input[i] as ParsedRule | undefined)?.operation, `rules[${i}].operation`));
  return { rules: input, ops };
}

function parseRulesValidated(text: string): { rules: ParsedRule[]; ops: ValidatedRule[] } {
  const parser = new Parser(text);
  parser.step(Infinity);
  return parser.result();
}

/**
 * Parses a text a number of lines at a time, collecting every bad line. Lines are cut as they
 * are read, not split all at once: 50,000 strings made in one go is a pause the caller's event
 * loop would feel.
 */
class Parser {
  readonly rules: ParsedRule[] = [];
  readonly ops: ValidatedRule[] = [];
  readonly problems: RuleProblem[] = [];
  private readonly text: string;
  /** Where the next line starts; past the end when every line is read. */
  private offset = 0;
  private lineNo = 0;

  constructor(text: string) {
    if (typeof text !== 'string') throw new IpvsValidationError('text', text, 'rules text (a string)');
    this.text = text;
  }

  get done(): boolean {
    return this.offset > this.text.length;
  }

  step(count: number): void {
    for (let n = 0; n < count && !this.done; n++) {
      const newline = this.text.indexOf('\n', this.offset);
      const end = newline < 0 ? this.text.length : newline;
      this.line(this.lineNo++, this.text.slice(this.offset, end));
      this.offset = end + 1;
    }
  }

  result(): { rules: ParsedRule[]; ops: ValidatedRule[] } {
    if (this.problems.length) throw new IpvsRulesError(this.problems);
    return { rules: this.rules, ops: this.ops };
  }

  private line(i: number, text: string): void {
    const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      const words = splitWords(trimmed);
      if (words[0] === 'ipvsadm') words.shift();
      const operation = operationOf(readLine(words));
      this.ops.push(isSettingOperation(operation)
        ? validateSetting(operation, 'operation')
        : checkReplacement(validateOp(operation, 'operation')));
      this.rules.push({ line: i + 1, text: raw, operation });
    } catch (err) {
      // Whatever a line makes the reading code throw is about that line: it joins the list of
      // bad lines with its number, it never hides the others behind one raw exception.
      this.problems.push({ line: i + 1, text: raw, reason: reasonOf(err) });
    }
  }
}
