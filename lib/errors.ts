/**
 * Errors: one class for what the kernel (or the socket) refused, one for
 * input rejected before anything was sent. Messages come from a table keyed
 * by (operation, code); callers branch on `code`, never on the text.
 */
import { constants as osConstants } from 'node:os';
import type { BatchResult, RestoreLineResult } from './types';

export type Operation =
  | 'open' | 'listServices' | 'getService' | 'addService' | 'updateService' | 'deleteService'
  | 'listDestinations' | 'addDestination' | 'updateDestination' | 'deleteDestination'
  | 'flush' | 'zero' | 'info' | 'getTimeouts' | 'setTimeouts'
  | 'listDaemons' | 'startDaemon' | 'stopDaemon' | 'batch' | 'getTable' | 'restore'
  | 'listConnections';

/** What an error message may mention besides the object. */
export interface ErrorContext {
  operation: Operation;
  /** e.g. "service tcp 192.0.2.1:80" */
  object: string;
  scheduler?: string;
  persistenceEngine?: string | null;
  interface?: string;
  netns?: string;
  timeoutMs?: number;
  /** What the native layer was doing, e.g. "waiting for the kernel". */
  stage?: string;
}

/** A failure reported by the kernel or the netlink socket. `errno` is the kernel's, exactly. */
export class IpvsError extends Error {
  override readonly name = 'IpvsError';
  /** errno name: 'EEXIST', 'ESRCH', 'ENOENT', 'EPERM', 'ETIMEDOUT', 'ECANCELED', ... */
  readonly code: string;
  readonly errno: number;
  readonly operation: Operation;
  /** The object the operation was about, in words. */
  readonly object: string;

  constructor(errno: number, context: ErrorContext) {
    const code = errnoName(errno);
    super(messageFor(code, errno, context));
    this.code = code;
    this.errno = errno;
    this.operation = context.operation;
    this.object = context.object;
  }
}

/** Input rejected before it reached the kernel. */
export class IpvsValidationError extends TypeError {
  override readonly name = 'IpvsValidationError';
  readonly code = 'ERR_IPVS_INVALID';
  /** Dotted path of the offending field, e.g. "destination.weight". */
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expectation: string) {
    super(`${field}: expected ${expectation}, got ${show(value)}`);
    this.field = field;
    this.value = value;
  }
}

/** One bad line of rules text. */
export interface RuleProblem {
  /** 1-based line number. */
  line: number;
  text: string;
  reason: string;
}

/** Rules text that does not parse; nothing of it was applied. Lists every bad line. */
export class IpvsRulesError extends SyntaxError {
  override readonly name = 'IpvsRulesError';
  readonly code = 'ERR_IPVS_RULES';
  readonly problems: readonly RuleProblem[];
  /** The first bad line. */
  readonly line: number;
  readonly text: string;
  readonly reason: string;

  constructor(problems: readonly RuleProblem[]) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more bad line${problems.length > 2 ? 's' : ''})` : '';
    super(`line ${first.line}: ${first.reason}: ${JSON.stringify(first.text)}${more}`);
    this.problems = problems;
    this.line = first.line;
    this.text = first.text;
    this.reason = first.reason;
  }
}

/**
 * A host setting (a /proc/sys file) that could not be read or written, or that the kernel
 * did not keep: `code` is the errno name, or 'ERR_IPVS_SETTING_NOT_KEPT' when the write
 * "succeeded" but reading back gives another value (several IPVS sysctls do that).
 */
export class IpvsHostError extends Error {
  override readonly name = 'IpvsHostError';
  readonly code: string;
  /** The setting, as a path under /proc/sys (e.g. "net/ipv4/conf/all/arp_ignore"). */
  readonly setting: string;
  readonly value: string | undefined;
  /** What the kernel holds after a write it did not keep. */
  readonly actual: string | undefined;

  constructor(code: string, setting: string, message: string, value?: string, actual?: string) {
    super(message);
    this.code = code;
    this.setting = setting;
    this.value = value;
    this.actual = actual;
  }
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const NAMES = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, no]) => [no, name] as [number, string]),
);
// Linux aliases: prefer the names people know.
NAMES.set(osConstants.errno.EAGAIN, 'EAGAIN');
NAMES.set(osConstants.errno.ENOTSUP, 'EOPNOTSUPP');

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

type Message = (c: ErrorContext) => string;

const SERVICE_OPS: Operation[] = [
  'getService', 'updateService', 'deleteService', 'addDestination', 'updateDestination', 'deleteDestination', 'zero',
  'listDestinations',
];

function isServiceOp(op: Operation): boolean {
  return SERVICE_OPS.includes(op);
}

function moduleHint(c: ErrorContext): string {
  const names = [c.scheduler && `scheduler '${c.scheduler}' (module ip_vs_${c.scheduler})`,
    c.persistenceEngine && `persistence engine '${c.persistenceEngine}' (module ip_vs_pe_${c.persistenceEngine})`]
    .filter(Boolean).join(' or ');
  return `${names || 'the scheduler or persistence engine'} is not available in this kernel`;
}

/** Messages keyed by code, then by operation ('*' for any). */
const TABLE: Record<string, Partial<Record<Operation | '*', Message>>> = {
  EEXIST: {
    addService: (c) => `${c.object} already exists`,
    addDestination: (c) => `${c.object} already exists`,
    startDaemon: (c) => `${c.object} is already running`,
  },
  ESRCH: {
    stopDaemon: (c) => `${c.object} is not running`,
    '*': (c) => `${c.object.replace(/^destination .* of /, '')} does not exist`,
  },
  ENOENT: {
    open: (c) =>
      c.stage?.startsWith('opening network namespace')
        ? `network namespace ${c.netns} does not exist`
        : 'IPVS is not available in this kernel: the generic netlink family "IPVS" does not exist. ' +
          'Load the module with `modprobe ip_vs` (and the schedulers you use, e.g. `modprobe ip_vs_rr`), ' +
          'or run inside the node-ipvs sandbox kernel (`node-ipvs sandbox -- CMD`)',
    addService: moduleHint,
    updateService: moduleHint,
    updateDestination: (c) => `${c.object} does not exist`,
    deleteDestination: (c) => `${c.object} does not exist`,
  },
  EPERM: {
    '*': (c) => `${c.operation} on ${c.object} was refused: IPVS needs CAP_NET_ADMIN in the initial user namespace`,
  },
  ENODEV: {
    startDaemon: (c) => `cannot start ${c.object}: interface '${c.interface}' does not exist`,
  },
  ERANGE: {
    '*': (c) => `${c.operation} on ${c.object} was refused: a weight or threshold is out of range (lower threshold above upper?)`,
  },
  EINVAL: {
    open: (c) => `${c.netns} is not a network namespace`,
    addDestination: (c) =>
      `the kernel rejected ${c.object} as invalid (EINVAL): a destination of another family needs the tunnel method ` +
      'and no running sync daemon; an IPv4 destination needs `lo` up in its namespace; a GUE tunnel needs a port',
    updateDestination: (c) => `the kernel rejected the new settings of ${c.object} as invalid (EINVAL)`,
    startDaemon: (c) => `the kernel rejected ${c.object} as invalid (EINVAL): bad multicast group, or mixed-family destinations exist`,
  },
  ETIMEDOUT: {
    '*': (c) => `${c.operation} on ${c.object}: no answer from the kernel within ${c.timeoutMs} ms (the client replaced its socket)`,
  },
  ECANCELED: {
    '*': (c) => `${c.operation} on ${c.object} was cancelled: the client was closed`,
  },
  ENOBUFS: {
    '*': (c) => `${c.operation} on ${c.object}: the kernel dropped acknowledgements (socket buffer overrun); outcome unknown`,
  },
  EPROTO: {
    '*': (c) => `${c.operation} on ${c.object}: malformed answer from the kernel`,
  },
};

function messageFor(code: string, errno: number, c: ErrorContext): string {
  const entry = TABLE[code];
  const specific = entry?.[c.operation] ?? entry?.['*'];
  if (specific) return specific(c);
  if (code === 'ESRCH' && isServiceOp(c.operation)) return `${c.object} does not exist`;
  const reason = c.stage && c.stage !== 'kernel' ? ` while ${c.stage}` : '';
  return `${c.operation} on ${c.object} failed${reason}: ${code} (errno ${errno})`;
}

// ---- batches and restores cut short ----

/** What a partial result holds per operation: batch() results, or restore() line results. */
export type PartialResult = BatchResult | RestoreLineResult;

/**
 * A batch() or restore() that stopped part-way: the client was closed, a deadline passed, a signal
 * aborted it, or an error was thrown between two of its sends. Some operations may have taken effect:
 * `results` has one entry per operation (batch: a BatchResult; restore: a RestoreLineResult per line),
 * in order, saying which did (`ok` / 'applied'), which the kernel refused, which were sent without an
 * answer (`applied: 'unknown'` / 'unknown') and which were never sent (`applied: 'no'` with this
 * error's code / 'skipped'). `code` and `errno` are those of what stopped it (ECANCELED, ETIMEDOUT, …;
 * ECANCELED when it was something other than an IpvsError, such as an abort or a callback that threw),
 * and `cause` is that thing itself.
 */
export class IpvsPartialError<R extends PartialResult = PartialResult> extends IpvsError {
  readonly results: readonly R[];
  /** Operations (lines) that took effect. */
  readonly applied: number;
  /** Operations (lines) sent whose outcome is unknown: the kernel may or may not have applied them. */
  readonly unknown: number;
  /** Operations (lines) never sent. */
  readonly notSent: number;
  override readonly cause: unknown;

  constructor(operation: 'batch' | 'restore', cause: unknown, results: readonly R[], counts: { applied: number; unknown: number; notSent: number }) {
    const errno = cause instanceof IpvsError ? cause.errno : osConstants.errno.ECANCELED;
    super(errno, { operation, object: operation === 'batch' ? 'batch' : 'rules' });
    // IpvsError types `name` as its own literal; the runtime name tells this kind apart in logs.
    Object.defineProperty(this, 'name', { value: 'IpvsPartialError', enumerable: false, configurable: true, writable: false });
    const unit = operation === 'batch' ? 'operations' : 'lines';
    const unknown = counts.unknown ? `, ${counts.unknown} sent without an answer` : '';
    const why = cause instanceof Error ? cause.message : String(cause);
    this.message = `${operation} stopped part-way: ${counts.applied} of ${results.length} ${unit} applied${unknown}, ` +
      `${counts.notSent} not sent: ${why}`;
    this.results = results;
    this.applied = counts.applied;
    this.unknown = counts.unknown;
    this.notSent = counts.notSent;
    this.cause = cause;
  }
}
