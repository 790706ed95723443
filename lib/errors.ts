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
  | 'listConnections' | 'globalStats';

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
  /** What the native layer was doing, e.g. "waiting for the kernel"; or one of the STAGE_* below. */
  stage?: string;
  /** Why an operation was refused without being sent (EINVAL). */
  reason?: string;
}

/** The call's deadline passed while it waited behind other calls of the client: nothing was sent. */
export const STAGE_QUEUED = 'waiting in the client\'s queue';
/** Between the steps of one call (reads done, a change not yet sent): the deadline passed, or a read failed. */
export const STAGE_NOT_SENT = 'preparing to send it';
/** ECANCELED's stage when the caller's AbortSignal stopped it (else the client was closed). */
export const STAGE_ABORTED = 'stopped by its signal';

/**
 * The codes the library produces by design (see docs/errors.md). Any other errno the kernel
 * answers keeps its name too (`EIO`, …, or `E<number>`), hence the open end.
 */
export type IpvsErrorCode =
  | 'EEXIST' | 'ESRCH' | 'ENOENT' | 'EPERM' | 'EINVAL' | 'ERANGE' | 'ENODEV' | 'EAFNOSUPPORT'
  | 'ETIMEDOUT' | 'ECANCELED' | 'ENOBUFS' | 'EPROTO' | 'EBUSY' | 'EIO' | 'ENOMEM'
  | (string & {});

/** A failure reported by the kernel or the netlink socket. `errno` is the kernel's, exactly. */
export class IpvsError extends Error {
  override readonly name = 'IpvsError';
  /** errno name: 'EEXIST', 'ESRCH', 'ENOENT', 'EPERM', 'ETIMEDOUT', 'ECANCELED', ... */
  readonly code: IpvsErrorCode;
  readonly errno: number;
  readonly operation: Operation;
  /** The object the operation was about, in words. */
  readonly object: string;

  /** options.cause: what made the library refuse it without sending (an IpvsValidationError). */
  constructor(errno: number, context: ErrorContext, options?: { cause?: unknown }) {
    const code = errnoName(errno);
    super(messageFor(code, errno, context), options);
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
    super(`${clip(field)}: expected ${expectation}, got ${show(value)}`);
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
    super(`line ${first.line}: ${clip(first.reason, REASON_MAX_CHARS)}: ${show(first.text)}${more}`);
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

/** Longest piece of input a message quotes: a 1 MB name must not make a 1 MB message. */
export const QUOTE_MAX_CHARS = 64;

/** text, cut to max characters (never inside a surrogate pair) with the full length said. */
export function clip(text: string, max = QUOTE_MAX_CHARS): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} chars)`;
}

/** Longest reason a rules error repeats in its message: reasons are sentences that may quote input. */
const REASON_MAX_CHARS = 256;

/** A value as messages quote it: JSON where possible, cut to a readable length. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= QUOTE_MAX_CHARS) return JSON.stringify(value);
    const cut = clip(value);
    const at = cut.lastIndexOf('… (');
    return `${JSON.stringify(cut.slice(0, at))}${cut.slice(at)}`;
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return clip(text);
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
        ? `network namespace ${clip(c.netns ?? '')} does not exist`
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
    open: (c) => `${clip(c.netns ?? '')} is not a network namespace`,
    addDestination: (c) =>
      `the kernel rejected ${c.object} as invalid (EINVAL): a destination of another family needs the tunnel method ` +
      'and no running sync daemon; an IPv4 destination needs `lo` up in its namespace; a GUE tunnel needs a port',
    updateDestination: (c) => `the kernel rejected the new settings of ${c.object} as invalid (EINVAL)`,
    startDaemon: (c) => `the kernel rejected ${c.object} as invalid (EINVAL): bad multicast group, or mixed-family destinations exist`,
  },
  ETIMEDOUT: {
    '*': (c) =>
      c.stage === STAGE_QUEUED
        ? `${c.operation} on ${c.object} was not sent: its deadline of ${c.timeoutMs} ms passed while it waited behind other calls on this client`
        : c.stage === STAGE_NOT_SENT
          ? `${c.operation} on ${c.object} was not sent: its deadline of ${c.timeoutMs} ms passed before it could be`
          : `${c.operation} on ${c.object}: no answer from the kernel within ${c.timeoutMs} ms (the client replaced its socket)`,
  },
  ECANCELED: {
    '*': (c) => `${c.operation} on ${c.object} was cancelled: ${c.stage === STAGE_ABORTED ? 'its signal aborted it' : 'the client was closed'}`,
  },
  ENOBUFS: {
    '*': (c) => `${c.operation} on ${c.object}: the kernel dropped acknowledgements (socket buffer overrun); outcome unknown`,
  },
  EPROTO: {
    '*': (c) => `${c.operation} on ${c.object}: malformed answer from the kernel`,
  },
};

function messageFor(code: string, errno: number, c: ErrorContext): string {
  // Own properties only: a code or operation named like an Object.prototype member is not an entry.
  if (c.reason) return `${c.operation} on ${c.object} was not sent: ${c.reason}`;
  const entry = Object.hasOwn(TABLE, code) ? TABLE[code] : undefined;
  const specific = entry && (Object.hasOwn(entry, c.operation) ? entry[c.operation] : entry['*']);
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

// ---- the desired-state config file ----

/** One problem of a config file, where it is: 1-based line and column, and the field's path in the file. */
export interface ConfigProblem {
  line: number;
  column: number;
  /** e.g. "services[1].destinations[0].weight"; '' for the file as a whole or a line of rules text. */
  field: string;
  /** What is wrong, e.g. "expected an integer from 0 to 2147483647, got -1". */
  message: string;
}

/**
 * A config file (YAML, JSON or ipvsadm rules text) that does not give a valid desired table; nothing
 * of it is used. Lists every problem found, each with its line, column and field path. The message says
 * the first as `FILE:LINE:COLUMN: FIELD: MESSAGE` and how many more there are.
 */
export class IpvsConfigError extends SyntaxError {
  override readonly name = 'IpvsConfigError';
  readonly code = 'ERR_IPVS_CONFIG';
  /** The file's name as the caller gave it, or undefined for text without one. */
  readonly file: string | undefined;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], file?: string) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(`${formatConfigProblem(first, file)}${more}`);
    this.file = file;
    this.problems = problems;
  }
}

/** A problem as compilers print one: `FILE:LINE:COLUMN: FIELD: MESSAGE` (`<config>` for text without a file name). */
export function formatConfigProblem(problem: ConfigProblem, file?: string): string {
  const field = problem.field ? `${clip(problem.field, 128)}: ` : '';
  return `${clip(file ?? '<config>', 256)}:${problem.line}:${problem.column}: ${field}${clip(problem.message, REASON_MAX_CHARS)}`;
}
