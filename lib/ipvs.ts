/** The public IPVS client: one netlink socket, calls run in order, every call async with a deadline. */
import { constants as os } from 'node:os';
import { STATUS_NOT_SENT, native, type NativeClient, type NativeError, type NativeRequest } from './binding';
import { CMD, DAEMON_STATES } from './constants';
import { daemonInfo, destinationInfo, nativeDaemon, nativeServiceKey, serviceInfo, tableEntry } from './convert';
import { describeService } from './describe';
import { IpvsError, IpvsPartialError, IpvsValidationError, STAGE_NOT_SENT, STAGE_QUEUED, type ErrorContext, type Operation } from './errors';
import { destinationId } from './keys';
import {
  BatchPlan, contextOf, settingOp, validateBatch, validateOp, type PlannedOp, type StateReader, type ValidatedOp,
} from './plan';
import { Deadline, DEFAULT_TIMEOUT_MS, deadlineOf, isNativeError, MAX_TIMEOUT_MS, SEND_CHUNK } from './call';
import { uniqueDestinations, uniqueServices } from './dumps';
import { SerialQueue } from './queue';
import type {
  BatchOperation, BatchResult, CallOptions, DaemonInfo, DaemonOptions, DaemonState, DestinationConfig,
  DestinationInfo, DestinationKey, DestinationOptions, FormatOptions, Info, OpenOptions,
  ParsedRule, RestoreOptions, RestoreResult, ServiceEntry, ServiceInfo, ServiceKey, ServiceOptions, Timeouts,
} from './types';
import { boolean, integer, onlyKeys, oneOf, own, plainObject } from './validate/primitives';
import { formatRules } from './rules/format';
import { restoreRules } from './rules/restore';
import { cutBatch, notSentResult, unsentBatch } from './partial';
import { publicServiceKey, serviceKey, type NormalizedServiceKey } from './validate/service';
import { DAEMON_STATE_NAMES, daemonOptions, timeouts as checkTimeouts } from './validate/settings';
import { resolveNetns } from './netns';
import { connectionOptions, connectionsFrom, readConnectionFiles } from './connections';
import type { ConnectionEntry, ConnectionOptions, TableOptions } from './types';
import { applyTable, type ApplyOptions, type ApplyResult } from './apply';
import { consistentTable } from './apply/consistent';
import { tableStatus, type StatusOptions, type TableStatus } from './apply/status';
import type { DesiredTable, Table } from './table';
import { PackedListing } from './table/packed';
import { validatedBatchOf } from './intern';

export { DEFAULT_TIMEOUT_MS };

/**
 * A client of the kernel's IPVS table in one network namespace.
 *
 * ```ts
 * const ipvs = await Ipvs.open();
 * await ipvs.addService({ protocol: 'tcp', address: '192.0.2.1', port: 80 }, { scheduler: 'rr' });
 * await ipvs.addDestination({ protocol: 'tcp', address: '192.0.2.1', port: 80 },
 *   { address: '198.51.100.10', port: 80 }, { forwarding: 'masq', weight: 1 });
 * ipvs.close();
 * ```
 */
export class Ipvs {
  readonly #client: NativeClient;
  readonly #queue = new SerialQueue();
  readonly #timeout: number;
  /** The namespace file the client was opened in, or null for the caller's own. */
  readonly netns: string | null;

  private constructor(client: NativeClient, netns: string | null, timeout: number) {
    this.#client = client;
    this.netns = netns;
    this.#timeout = timeout;
  }

  /**
   * Opens a client: one generic-netlink socket (in `netns` if given) and the IPVS family
   * resolved once. Rejects with ENOENT when IPVS is not in the kernel, or the namespace
   * does not exist; EINVAL when `netns` is not a network namespace.
   */
  static async open(options: OpenOptions = {}): Promise<Ipvs> {
    const obj = plainObject(options, 'options');
    onlyKeys(obj, ['netns', 'timeout'], 'options');
    const given = { timeout: own(obj, 'timeout'), netns: own(obj, 'netns') };
    const timeout = given.timeout === undefined ? DEFAULT_TIMEOUT_MS : integer(given.timeout, 'options.timeout', 1, MAX_TIMEOUT_MS);
    const netns = given.netns === undefined ? null : resolveNetns(given.netns, 'options.netns');
    const client = new (native().Client)();
    try {
      await client.open(netns, timeout);
    } catch (err) {
      client.close();
      if (!isNativeError(err)) throw err;
      throw new IpvsError(err.errno, {
        operation: 'open', object: netns ? `namespace ${netns}` : 'the IPVS family', netns: netns ?? undefined,
        stage: err.stage, timeoutMs: timeout,
      });
    }
    return new Ipvs(client, netns, timeout);
  }

  /**
   * Closes the socket. Idempotent. Queued calls and later ones reject with ECANCELED; the call
   * in flight does too unless the kernel already answered it, in which case it keeps that answer
   * (a change the kernel made is never reported as cancelled).
   */
  close(): void {
    this.#queue.close();
    this.#client.close();
  }

  /** Calls queued or running on this client. */
  get pending(): number {
    return this.#queue.size;
  }

  // ---- services ----

  /** Every service with its config and stats (64-bit counters as bigint). */
  async listServices(options?: CallOptions): Promise<ServiceInfo[]> {
    const records = await this.#query('listServices', 'all services', { cmd: CMD.GET_SERVICE, dump: true }, options);
    return uniqueServices(records).map(serviceInfo);
  }

  /** One service. Rejects with ESRCH when it does not exist. */
  async getService(service: ServiceKey, options?: CallOptions): Promise<ServiceInfo> {
    const deadline = deadlineOf(options, this.#timeout);
    const key = serviceKey(service);
    const records = await this.#run(serviceContext('getService', key), deadline, () => this.#getService(key, deadline));
    return serviceInfo(records[0]);
  }

  /** Adds a service (scheduler 'wlc' unless given). EEXIST if it exists; ENOENT if the scheduler is not in the kernel. */
  addService(service: ServiceKey, config?: ServiceOptions, options?: CallOptions): Promise<void> {
    return this.#single({ op: 'addService', service, options: config }, options);
  }

  /** Changes the given settings of a service; the others keep their current values. ESRCH if it does not exist. */
  updateService(service: ServiceKey, config: ServiceOptions, options?: CallOptions): Promise<void> {
    return this.#single({ op: 'updateService', service, options: config }, options);
  }

  /** Deletes a service and its destinations. ESRCH if it does not exist. */
  deleteService(service: ServiceKey, options?: CallOptions): Promise<void> {
    return this.#single({ op: 'deleteService', service }, options);
  }

  // ---- destinations ----

  /** The destinations of a service. ESRCH if the service does not exist (the kernel alone would say "none"). */
  async listDestinations(service: ServiceKey, options?: CallOptions): Promise<DestinationInfo[]> {
    const deadline = deadlineOf(options, this.#timeout);
    const key = serviceKey(service);
    const records = await this.#run(serviceContext('listDestinations', key), deadline, () => this.#listDestinations(key, deadline));
    return records.map(destinationInfo);
  }

  /** Adds a real server (forwarding 'route' and weight 1 unless given). EEXIST if it exists, ESRCH without the service. */
  addDestination(service: ServiceKey, destination: DestinationKey, config?: DestinationOptions, options?: CallOptions): Promise<void> {
    return this.#single({ op: 'addDestination', service, destination, options: config }, options);
  }

  /** Changes the given settings of a destination; the others keep their values. ENOENT if it does not exist. */
  updateDestination(service: ServiceKey, destination: DestinationKey, config: DestinationOptions, options?: CallOptions): Promise<void> {
    return this.#single({ op: 'updateDestination', service, destination, options: config }, options);
  }

  /** Removes a real server. ENOENT if it does not exist, ESRCH without the service. */
  deleteDestination(service: ServiceKey, destination: DestinationKey, options?: CallOptions): Promise<void> {
    return this.#single({ op: 'deleteDestination', service, destination }, options);
  }

  // ---- table-wide ----

  /** Deletes every service and destination in the namespace. */
  flush(options?: CallOptions): Promise<void> {
    return this.#single({ op: 'flush' }, options);
  }

  /** Zeroes the counters of one service, or of everything. */
  zero(service?: ServiceKey, options?: CallOptions): Promise<void> {
    return this.#single(service === undefined ? { op: 'zero' } : { op: 'zero', service }, options);
  }

  /** IPVS version and connection table size. */
  async info(options?: CallOptions): Promise<Info> {
    const [record] = await this.#query('info', 'IPVS', { cmd: CMD.GET_INFO }, options);
    const v = record.info!.version;
    return {
      version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
      versionCode: v,
      connectionTableSize: record.info!.connTableSize,
    };
  }

  /** Connection timeouts in seconds. */
  async getTimeouts(options?: CallOptions): Promise<Timeouts> {
    const [record] = await this.#query('getTimeouts', 'timeouts', { cmd: CMD.GET_CONFIG }, options);
    return { ...record.timeouts! };
  }

  /** Sets the given timeouts (seconds, at least 1); omitted ones stay as they are. */
  async setTimeouts(values: Partial<Timeouts>, options?: CallOptions): Promise<void> {
    const deadline = deadlineOf(options, this.#timeout);
    const t = checkTimeouts(values);
    // 0 is the kernel's "unchanged": what the caller omitted.
    const request = { cmd: CMD.SET_CONFIG, timeouts: { tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 } };
    return this.#one(settingOp('setTimeouts', request, { operation: 'setTimeouts', object: 'timeouts' }), deadline);
  }

  // ---- sync daemons ----

  async listDaemons(options?: CallOptions): Promise<DaemonInfo[]> {
    const records = await this.#query('listDaemons', 'sync daemons', { cmd: CMD.GET_DAEMON, dump: true }, options);
    return records.filter((r) => r.daemon).map(daemonInfo);
  }

  /** Starts a connection-sync daemon. EEXIST if one of that state runs, ENODEV if the interface does not exist. */
  async startDaemon(daemon: DaemonOptions, options?: CallOptions): Promise<void> {
    const deadline = deadlineOf(options, this.#timeout);
    const d = daemonOptions(daemon);
    const context = { operation: 'startDaemon' as const, object: `${d.state} sync daemon`, interface: d.interface };
    return this.#one(settingOp('startDaemon', { cmd: CMD.NEW_DAEMON, daemon: nativeDaemon(d) }, context), deadline);
  }

  /** Stops the master or backup sync daemon. ESRCH if it is not running. */
  async stopDaemon(state: DaemonState, options?: CallOptions): Promise<void> {
    const deadline = deadlineOf(options, this.#timeout);
    const s = oneOf(state, 'state', DAEMON_STATE_NAMES);
    const request = { cmd: CMD.DEL_DAEMON, daemon: { state: DAEMON_STATES[s] } };
    return this.#one(settingOp('stopDaemon', request, { operation: 'stopDaemon', object: `${s} sync daemon` }), deadline);
  }

  // ---- connections ----

  /** The connection table (`ipvsadm -Lnc`), from /proc/net/ip_vs_conn of the client's namespace; see lib/connections.ts. */
  async listConnections(options?: ConnectionOptions): Promise<ConnectionEntry[]> {
    const o = connectionOptions(options, this.#timeout);
    const deadline = new Deadline(o.timeout);
    const files = await this.#run({ operation: 'listConnections', object: 'the connection table' }, deadline,
      () => readConnectionFiles(this.netns, { ...o, timeout: deadline.budget() }));
    return connectionsFrom(files, o.origin);
  }

  // ---- whole table ----

  /**
   * Every service with its destinations and stats, read in one pass on the worker thread: the
   * services dump, then every destination dump, keyed by the dumped services themselves.
   */
  async getTable(options?: TableOptions): Promise<ServiceEntry[]> {
    const obj = options === undefined ? {} : plainObject(options, 'options');
    onlyKeys(obj, ['timeout', 'consistent', 'stats'], 'options');
    const consistent = own(obj, 'consistent');
    const deadline = deadlineOf(own(obj, 'timeout') === undefined ? undefined : { timeout: own(obj, 'timeout') as number }, this.#timeout);
    const withStats = own(obj, 'stats') === undefined || boolean(own(obj, 'stats'), 'options.stats');
    if (consistent === undefined || !boolean(consistent, 'options.consistent')) return this.#table(deadline, withStats);
    return consistentTable(() => this.#table(deadline, withStats));
  }

  /** @internal apply's reading: the table without counters, packed (lib/table/packed.ts). */
  async packedTable(options?: CallOptions): Promise<PackedListing> {
    const deadline = deadlineOf(options, this.#timeout);
    return this.#run({ operation: 'getTable', object: 'the IPVS table' }, deadline, async () => {
      const { words, strings } = await this.#client.getTablePacked(deadline.budget());
      return new PackedListing(words, strings);
    });
  }

  /**
   * Makes the kernel hold `desired` (a Table, or a DesiredTable as plain objects) for the services
   * it declares, sending only the difference; see lib/apply/ and docs/api.md "apply".
   */
  apply(desired: Table | DesiredTable, options?: ApplyOptions): Promise<ApplyResult> {
    return applyTable(this, desired, options, this.#timeout);
  }

  /**
   * The table as the kernel has it, with apply's ownership record beside it: owned services,
   * draining destinations. Reads only; see lib/apply/status.ts and docs/api.md "status".
   */
  status(options?: StatusOptions): Promise<TableStatus> {
    return tableStatus(this, options, this.#timeout);
  }

  /** withStats false: counters neither decoded nor converted (left zero), for save(), which needs none. */
  #table(deadline: Deadline, withStats: boolean): Promise<ServiceEntry[]> {
    return this.#run({ operation: 'getTable', object: 'the IPVS table' }, deadline, async () =>
      (await this.#client.getTable(deadline.budget(), withStats)).map(tableEntry));
  }

  /** The table as ipvsadm rules text (`ipvsadm -S -n`'s lines, plus thresholds unless told not to). */
  async save(options?: CallOptions & FormatOptions): Promise<string> {
    const obj = options === undefined ? {} : plainObject(options, 'options');
    onlyKeys(obj, ['timeout', 'thresholds'], 'options');
    const given = { timeout: own(obj, 'timeout'), thresholds: own(obj, 'thresholds') };
    const deadline = deadlineOf(given.timeout === undefined ? undefined : { timeout: given.timeout as number }, this.#timeout);
    const thresholds = given.thresholds === undefined ? true : boolean(given.thresholds, 'options.thresholds');
    return formatRules(await this.#table(deadline, false), { thresholds });
  }

  /**
   * Applies ipvsadm rules text (what `ipvsadm -R` reads), or what parseRules() returned.
   * Parses and validates every line first (IpvsRulesError, nothing applied, if any line is bad), then sends the lines in
   * batches. Like ipvsadm -R it does not flush first: add `-C` to the text for that.
   * Resolves with every line's status; it does not throw for lines the kernel refused. Stopped before its end
   * (close(), a deadline, options.signal, a throwing onProgress) it rejects with IpvsPartialError, whose
   * `results` give every line's status so far.
   */
  async restore(rules: string | readonly ParsedRule[], options: RestoreOptions = {}): Promise<RestoreResult> {
    return restoreRules(rules, options, this.#timeout, (ops, timeout) => this.#apply(ops, new Deadline(timeout)), (op, timeout) => {
      if (op.kind === 'setTimeouts') return this.setTimeouts(op.timeouts, { timeout });
      if (op.kind === 'startDaemon') return this.startDaemon(op.daemon, { timeout });
      return this.stopDaemon(op.state, { timeout });
    });
  }

  // ---- batch ----

  /**
   * Applies many changes with as few system calls as the socket buffers allow. Every operation is
   * validated before anything is sent (an invalid one throws IpvsValidationError naming
   * `operations[i]`); each then gets its own result, in order: which took effect, and why others did not.
   * The kernel applies each one on its own: a failure does not undo the ones before it.
   * A batch cut short (close(), its deadline, a failed read between its parts) rejects with
   * IpvsPartialError: `results` holds every operation's result, those sent without an answer
   * (`applied: 'unknown'`) and those never sent (`sent: false`) included.
   */
  async batch(operations: readonly BatchOperation[], options?: CallOptions): Promise<BatchResult[]> {
    const deadline = deadlineOf(options, this.#timeout);
    // apply's batches come validated from its tables (intern.ts): not checked a second time.
    const ops = validatedBatchOf<ValidatedOp>(operations) ?? validateBatch(operations);
    return this.#apply(ops, deadline);
  }

  // ---- internals ----

  /**
   * The one path every call takes to the kernel: queued behind the calls before it, under its
   * deadline (which runs from the call, not from its turn: still queued when it passes, the call
   * rejects with ETIMEDOUT, not sent; started late, it gets only what is left), and with native
   * rejections turned into IpvsError about context. unsent: what a call stopped before it started
   * (closed, or its deadline while queued) rejects with; a batch reports every operation.
   */
  #run<T>(context: ErrorContext, deadline: Deadline, task: () => Promise<T>, unsent: (cause: IpvsError) => Error = (c) => c): Promise<T> {
    const ctx = { ...context, timeoutMs: deadline.ms };
    return this.#queue.run(async () => {
      try {
        return await task();
      } catch (err) {
        throw ipvsError(err, ctx);
      }
    }, () => unsent(new IpvsError(os.errno.ECANCELED, ctx)), deadline,
    () => unsent(new IpvsError(os.errno.ETIMEDOUT, { ...ctx, stage: STAGE_QUEUED })));
  }

  /** A read whose answer is the records of one request. */
  #query(operation: Operation, object: string, request: NativeRequest, options?: CallOptions) {
    const deadline = deadlineOf(options, this.#timeout);
    return this.#run({ operation, object }, deadline, () => this.#client.query(request, deadline.budget()));
  }

  /**
   * Writes: plans and sends ops in parts (see plan.ts): a part goes out once the outcome of the one
   * before is known. Run to its end it resolves with every operation's result; cut short (closed,
   * deadline, a failed read or send) it rejects with IpvsPartialError carrying them all, those never
   * sent included.
   */
  #apply(ops: readonly ValidatedOp[], deadline: Deadline, context: ErrorContext = { operation: 'batch', object: 'batch' }): Promise<BatchResult[]> {
    const ctx = { ...context, timeoutMs: deadline.ms };
    return this.#run(context, deadline, async () => {
      let plan: BatchPlan;
      try {
        deadline.budget();
        plan = await BatchPlan.create(ops, this.#reader(deadline));
      } catch (err) {
        // Reading what the updates patch failed: nothing of this batch was sent.
        const e = ipvsError(err, ctx);
        throw e instanceof IpvsError ? unsentBatch(ops, e, deadline.ms) : e;
      }
      const results: BatchResult[] = [];
      let notSent = 0;
      for (let part = await plan.next(); part;) {
        const sent = await this.#send(part, deadline);
        results.push(...sent.results);
        notSent += sent.notSent;
        let cause = sent.failure && new IpvsError(sent.failure.errno, { ...ctx, stage: sent.failure.stage });
        if (!cause) {
          try {
            part = await plan.next(sent.results);
            continue;
          } catch (err) {
            const e = ipvsError(err, ctx);
            if (!(e instanceof IpvsError)) throw e;
            cause = e;
          }
        }
        const rest = plan.remaining().map((op) => notSentResult(op, cause, deadline.ms));
        throw cutBatch([...results, ...rest], cause, notSent + rest.length);
      }
      return results;
    }, (cause) => unsentBatch(ops, cause, deadline.ms));
  }

  /** Async: a bad argument rejects, as every call's does. */
  async #single(operation: BatchOperation, options?: CallOptions): Promise<void> {
    const deadline = deadlineOf(options, this.#timeout);
    await this.#one(validateOp(operation, ''), deadline);
  }

  /** One write as a batch of one; cut short, its own result says what happened to it. */
  async #one(op: ValidatedOp, deadline: Deadline): Promise<void> {
    let result: BatchResult;
    try {
      [result] = await this.#apply([op], deadline, contextOf(op));
    } catch (err) {
      if (err instanceof IpvsPartialError && err.results.length === 1) throw (err.results[0] as BatchResult & { ok: false }).error;
      throw err;
    }
    if (!result.ok) throw result.error;
  }

  /** Sends a part's requests; failure is the native error when the call stopped before every answer was read. */
  async #send(planned: PlannedOp[], deadline: Deadline): Promise<{ results: BatchResult[]; failure: NativeError | null; notSent: number }> {
    // A part may hold only operations known to fail (updates after a flush): nothing to ask.
    const toSend = planned.filter((p) => p.request);
    const status = new Int32Array(toSend.length).fill(STATUS_NOT_SENT);
    let failure: NativeError | null = null;
    // In chunks: one native call for 50,000 operations built all its requests at once, and the fresh
    // memory that took (page faults, dear in user-mode Linux) made it up to twice as slow as 100 calls.
    // After a failed chunk nothing more is sent.
    for (let from = 0; from < toSend.length && !failure; from += SEND_CHUNK) {
      const chunk = toSend.slice(from, from + SEND_CHUNK);
      try {
        // Closed while the chunk before was out: the addon refuses a closed client with a plain
        // Error, so what stops the batch here is said as the native layer says it.
        if (this.#queue.isClosed) throw Object.assign(new Error('the client was closed'), { errno: os.errno.ECANCELED, stage: STAGE_NOT_SENT });
        status.set(await this.#client.execute(chunk.map((p) => p.request!), deadline.budget()), from);
      } catch (err) {
        if (!isNativeError(err)) throw err;
        failure = err;
        if (err.status) status.set(err.status, from);
      }
    }
    let sent = 0;
    let notSent = 0;
    const results = planned.map((p): BatchResult => {
      const context = () => ({ ...contextOf(p.validated), timeoutMs: deadline.ms });
      if (!p.request) {
        const error = new IpvsError(p.knownErrno!, context(), p.validated.refusal && { cause: p.validated.refusal });
        return { ok: false, operation: p.operation, error, applied: 'no' };
      }
      const s = status[sent++];
      if (s === 0) return { ok: true, operation: p.operation };
      if (s > 0) return { ok: false, operation: p.operation, error: new IpvsError(s, context()), applied: 'no' };
      const error = new IpvsError(failure?.errno ?? os.errno.EPROTO, { ...context(), stage: failure?.stage });
      if (s !== STATUS_NOT_SENT) return { ok: false, operation: p.operation, error, applied: 'unknown' };
      notSent++;
      return { ok: false, operation: p.operation, error, applied: 'no', sent: false };
    });
    return { results, failure, notSent };
  }

  /** What a batch's updates patch, read inside the batch's own turn (native errors left to #run). */
  #reader(deadline: Deadline): StateReader {
    return {
      serviceConfig: async (key) => {
        try {
          return serviceInfo((await this.#getService(key, deadline))[0]).config;
        } catch (err) {
          if (isNativeError(err) && err.errno === os.errno.ESRCH) return null;
          throw err;
        }
      },
      destinationConfigs: async (key) => {
        try {
          const records = await this.#listDestinations(key, deadline);
          const out = new Map<string, DestinationConfig>();
          for (const r of records) {
            const info = destinationInfo(r);
            out.set(destinationId(key, { ...info.key, family: info.family }), info.config);
          }
          return out;
        } catch (err) {
          if (isNativeError(err) && err.errno === os.errno.ESRCH) return null;
          throw err;
        }
      },
    };
  }

  #getService(key: NormalizedServiceKey, deadline: Deadline) {
    return this.#client.query({ cmd: CMD.GET_SERVICE, service: nativeServiceKey(key) }, deadline.budget());
  }

  /** Destinations, telling "no such service" (ESRCH) apart from "no destinations". */
  async #listDestinations(key: NormalizedServiceKey, deadline: Deadline) {
    const request: NativeRequest = { cmd: CMD.GET_DEST, dump: true, service: nativeServiceKey(key) };
    const records = uniqueDestinations(await this.#client.query(request, deadline.budget()));
    if (records.length === 0) await this.#getService(key, deadline);
    return records;
  }
}

function serviceContext(operation: Operation, key: NormalizedServiceKey): ErrorContext {
  return { operation, object: describeService(publicServiceKey(key)) };
}

/** A native rejection as an IpvsError about context; anything else (validation, a bug) as it is. */
function ipvsError(err: unknown, context: ErrorContext): unknown {
  if (err instanceof IpvsValidationError || err instanceof IpvsError || !isNativeError(err)) return err;
  return new IpvsError(err.errno, { ...context, stage: err.stage });
}
