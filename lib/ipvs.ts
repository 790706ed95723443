/** The public IPVS client: one netlink socket, calls run in order, every call async with a deadline. */
import { constants as os } from 'node:os';
import { STATUS_NOT_SENT, native, type NativeClient, type NativeError, type NativeRequest } from './binding';
import { CMD, DAEMON_STATES } from './constants';
import { daemonInfo, destinationInfo, nativeDaemon, nativeServiceKey, recordServiceKey, serviceInfo } from './convert';
import { describeService } from './describe';
import { IpvsError, IpvsValidationError, type ErrorContext, type Operation } from './errors';
import { destinationId } from './keys';
import { contextOf, resolve, validateBatch, validateOp, type PlannedOp, type StateReader, type ValidatedOp } from './plan';
import { isNativeError, MAX_TIMEOUT_MS, timeoutOf } from './call';
import { uniqueDestinations, uniqueServices } from './dumps';
import { SerialQueue } from './queue';
import type {
  BatchOperation, BatchResult, CallOptions, DaemonInfo, DaemonOptions, DaemonState, DestinationConfig,
  DestinationInfo, DestinationKey, DestinationOptions, FormatOptions, Info, OpenOptions,
  ParsedRule, RestoreOptions, RestoreResult, ServiceEntry, ServiceInfo, ServiceKey, ServiceOptions, Timeouts,
} from './types';
import { boolean, integer, onlyKeys, oneOf, plainObject } from './validate/primitives';
import { formatRules } from './rules/format';
import { restoreRules } from './rules/restore';
import { cutBatch, unsentBatch } from './partial';
import { publicServiceKey, serviceKey, type NormalizedServiceKey } from './validate/service';
import { DAEMON_STATE_NAMES, daemonOptions, timeouts as checkTimeouts } from './validate/settings';
import { resolveNetns } from './netns';
import { connectionOptions, connectionsFrom, readConnectionFiles } from './connections';
import type { ConnectionEntry, ConnectionOptions } from './types';

export const DEFAULT_TIMEOUT_MS = 10_000;

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
    const timeout = obj.timeout === undefined ? DEFAULT_TIMEOUT_MS : integer(obj.timeout, 'options.timeout', 1, MAX_TIMEOUT_MS);
    const netns = obj.netns === undefined ? null : resolveNetns(obj.netns, 'options.netns');
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
    const records = await this.#read('listServices', 'all services', { cmd: CMD.GET_SERVICE, dump: true }, options);
    return uniqueServices(records).map(serviceInfo);
  }

  /** One service. Rejects with ESRCH when it does not exist. */
  async getService(service: ServiceKey, options?: CallOptions): Promise<ServiceInfo> {
    const key = serviceKey(service);
    const timeout = timeoutOf(options, this.#timeout);
    const records = await this.#call(this.#serviceContext('getService', key, timeout), () => this.#getService(key, timeout));
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
    const key = serviceKey(service);
    const timeout = timeoutOf(options, this.#timeout);
    const records = await this.#call(this.#serviceContext('listDestinations', key, timeout), () =>
      this.#listDestinations(key, timeout));
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
    const [record] = await this.#read('info', 'IPVS', { cmd: CMD.GET_INFO }, options);
    const v = record.info!.version;
    return {
      version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
      versionCode: v,
      connectionTableSize: record.info!.connTableSize,
    };
  }

  /** Connection timeouts in seconds. */
  async getTimeouts(options?: CallOptions): Promise<Timeouts> {
    const [record] = await this.#read('getTimeouts', 'timeouts', { cmd: CMD.GET_CONFIG }, options);
    return { ...record.timeouts! };
  }

  /** Sets the given timeouts (seconds, at least 1); omitted ones stay as they are. */
  async setTimeouts(values: Partial<Timeouts>, options?: CallOptions): Promise<void> {
    const t = checkTimeouts(values);
    const timeout = timeoutOf(options, this.#timeout);
    // 0 is the kernel's "unchanged": what the caller omitted.
    const request = { cmd: CMD.SET_CONFIG, timeouts: { tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 } };
    await this.#execute({ operation: 'setTimeouts', object: 'timeouts', timeoutMs: timeout }, request, timeout);
  }

  // ---- sync daemons ----

  async listDaemons(options?: CallOptions): Promise<DaemonInfo[]> {
    const records = await this.#read('listDaemons', 'sync daemons', { cmd: CMD.GET_DAEMON, dump: true }, options);
    return records.filter((r) => r.daemon).map(daemonInfo);
  }

  /** Starts a connection-sync daemon. EEXIST if one of that state runs, ENODEV if the interface does not exist. */
  async startDaemon(daemon: DaemonOptions, options?: CallOptions): Promise<void> {
    const d = daemonOptions(daemon);
    const timeout = timeoutOf(options, this.#timeout);
    await this.#execute(
      { operation: 'startDaemon', object: `${d.state} sync daemon`, interface: d.interface, timeoutMs: timeout },
      { cmd: CMD.NEW_DAEMON, daemon: nativeDaemon(d) }, timeout);
  }

  /** Stops the master or backup sync daemon. ESRCH if it is not running. */
  async stopDaemon(state: DaemonState, options?: CallOptions): Promise<void> {
    const s = oneOf(state, 'state', DAEMON_STATE_NAMES);
    const timeout = timeoutOf(options, this.#timeout);
    await this.#execute({ operation: 'stopDaemon', object: `${s} sync daemon`, timeoutMs: timeout },
      { cmd: CMD.DEL_DAEMON, daemon: { state: DAEMON_STATES[s] } }, timeout);
  }

  // ---- connections ----

  /** The connection table (`ipvsadm -Lnc`), from /proc/net/ip_vs_conn of the client's namespace; see lib/connections.ts. */
  async listConnections(options?: ConnectionOptions): Promise<ConnectionEntry[]> {
    const o = connectionOptions(options, this.#timeout);
    const files = await this.#call({ operation: 'listConnections', object: 'the connection table', timeoutMs: o.timeout },
      () => readConnectionFiles(this.netns, o));
    return connectionsFrom(files, o.origin);
  }

  // ---- whole table ----

  /**
   * Every service with its destinations and stats, read in one pass: the services dump,
   * then every destination dump back to back on the worker thread.
   */
  getTable(options?: CallOptions): Promise<ServiceEntry[]> {
    return this.#readTable(timeoutOf(options, this.#timeout), true);
  }

  /** withStats false: counters left out (zero), for save(), which needs none and is faster without. */
  #readTable(timeout: number, withStats: boolean): Promise<ServiceEntry[]> {
    return this.#call({ operation: 'getTable', object: 'the IPVS table', timeoutMs: timeout }, async () => {
      const deadline = Date.now() + timeout;
      const records = uniqueServices(await this.#client.query({ cmd: CMD.GET_SERVICE, dump: true }, timeout));
      if (records.length === 0) return [];
      const requests = records.map((r): NativeRequest => ({ cmd: CMD.GET_DEST, dump: true, service: recordServiceKey(r) }));
      const dests = await this.#client.queryEach(requests, Math.max(1, deadline - Date.now()), withStats);
      return records.map((r, i): ServiceEntry => ({
        ...serviceInfo(r),
        destinations: uniqueDestinations(dests[i]).map(destinationInfo),
      }));
    });
  }

  /** The table as ipvsadm rules text (`ipvsadm -S -n`'s lines, plus thresholds unless told not to). */
  async save(options?: CallOptions & FormatOptions): Promise<string> {
    const obj = options === undefined ? {} : plainObject(options, 'options');
    onlyKeys(obj, ['timeout', 'thresholds'], 'options');
    const thresholds = obj.thresholds === undefined ? true : boolean(obj.thresholds, 'options.thresholds');
    const timeout = timeoutOf(obj.timeout === undefined ? undefined : { timeout: obj.timeout as number }, this.#timeout);
    return formatRules(await this.#readTable(timeout, false), { thresholds });
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
    return restoreRules(rules, options, this.#timeout, (ops, timeout) => this.#apply(ops, timeout), (op, timeout) => {
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
   * A batch cut short (close(), its deadline) rejects with IpvsPartialError: `results` holds every
   * operation's result, those sent without an answer (`applied: 'unknown'`) and those never sent included.
   */
  async batch(operations: readonly BatchOperation[], options?: CallOptions): Promise<BatchResult[]> {
    const ops = validateBatch(operations);
    return this.#apply(ops, timeoutOf(options, this.#timeout));
  }

  // ---- internals ----

  /**
   * A batch run to its end resolves with every operation's result. One cut short (closed, deadline,
   * socket failure) rejects with IpvsPartialError carrying them all, those never sent included.
   */
  #apply(ops: ValidatedOp[], timeout: number): Promise<BatchResult[]> {
    const context: ErrorContext = { operation: 'batch', object: 'batch', timeoutMs: timeout };
    return this.#queue.run(async () => {
      let planned: PlannedOp[];
      try {
        planned = await this.#wrap(context, () => resolve(ops, this.#reader(timeout)));
      } catch (err) {
        // Reading what the updates patch failed: nothing of this batch was sent.
        if (err instanceof IpvsError) throw unsentBatch(ops, err, timeout);
        throw err;
      }
      const { results, failure, notSent } = await this.#sendAll(planned, timeout);
      if (failure) throw cutBatch(results, new IpvsError(failure.errno, { ...context, stage: failure.stage }), notSent);
      return results;
    }, () => unsentBatch(ops, new IpvsError(os.errno.ECANCELED, context), timeout));
  }

  async #single(operation: BatchOperation, options?: CallOptions): Promise<void> {
    const op = validateOp(operation, '');
    const timeout = timeoutOf(options, this.#timeout);
    const context = { ...contextOf(op), timeoutMs: timeout };
    const [result] = await this.#queue.run(async () => {
      const planned = await this.#wrap(context, () => resolve([op], this.#reader(timeout)));
      return this.#send(planned, timeout);
    }, () => new IpvsError(os.errno.ECANCELED, context));
    if (!result.ok) throw result.error;
  }

  async #send(planned: PlannedOp[], timeout: number): Promise<BatchResult[]> {
    return (await this.#sendAll(planned, timeout)).results;
  }

  /** Sends the requests; failure is the native error when the call stopped before every answer was read. */
  async #sendAll(planned: PlannedOp[], timeout: number): Promise<{ results: BatchResult[]; failure: NativeError | null; notSent: number }> {
    const toSend = planned.filter((p) => p.request);
    let status: Int32Array;
    let failure: NativeError | null = null;
    try {
      status = await this.#client.execute(toSend.map((p) => p.request!), timeout);
    } catch (err) {
      if (!isNativeError(err)) throw err;
      failure = err;
      status = err.status ?? new Int32Array(toSend.length).fill(STATUS_NOT_SENT);
    }
    let sent = 0;
    let notSent = 0;
    const results = planned.map((p): BatchResult => {
      const context = () => ({ ...contextOf(p.validated), timeoutMs: timeout });
      if (!p.request) {
        return { ok: false, operation: p.operation, error: new IpvsError(p.knownErrno!, context()), applied: 'no' };
      }
      const s = status[sent++];
      if (s === 0) return { ok: true, operation: p.operation };
      if (s > 0) return { ok: false, operation: p.operation, error: new IpvsError(s, context()), applied: 'no' };
      const errno = failure?.errno ?? os.errno.EPROTO;
      const error = new IpvsError(errno, { ...context(), stage: failure?.stage });
      if (s !== STATUS_NOT_SENT) return { ok: false, operation: p.operation, error, applied: 'unknown' };
      notSent++;
      return { ok: false, operation: p.operation, error, applied: 'no', sent: false };
    });
    return { results, failure, notSent };
  }

  #reader(timeout: number): StateReader {
    return {
      serviceConfig: async (key) => {
        try {
          return serviceInfo((await this.#getService(key, timeout))[0]).config;
        } catch (err) {
          if (isNativeError(err) && err.errno === os.errno.ESRCH) return null;
          throw err;
        }
      },
      destinationConfigs: async (key) => {
        try {
          const records = await this.#listDestinations(key, timeout);
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

  #getService(key: NormalizedServiceKey, timeout: number) {
    return this.#client.query({ cmd: CMD.GET_SERVICE, service: nativeServiceKey(key) }, timeout);
  }

  /** Destinations, telling "no such service" (ESRCH) apart from "no destinations". */
  async #listDestinations(key: NormalizedServiceKey, timeout: number) {
    const request: NativeRequest = { cmd: CMD.GET_DEST, dump: true, service: nativeServiceKey(key) };
    const records = uniqueDestinations(await this.#client.query(request, timeout));
    if (records.length === 0) await this.#getService(key, timeout);
    return records;
  }

  #serviceContext(operation: Operation, key: NormalizedServiceKey, timeoutMs: number): ErrorContext {
    return { operation, object: describeService(publicServiceKey(key)), timeoutMs };
  }

  /** A query that needs no service context: dumps and table-wide reads. */
  #read(operation: Operation, object: string, request: NativeRequest, options?: CallOptions) {
    const timeout = timeoutOf(options, this.#timeout);
    return this.#call({ operation, object, timeoutMs: timeout }, () => this.#client.query(request, timeout));
  }

  async #execute(context: ErrorContext, request: NativeRequest, timeout: number): Promise<void> {
    const [status] = await this.#call(context, () => this.#client.execute([request], timeout));
    if (status !== 0) throw new IpvsError(status, context);
  }

  /** Queues fn and turns a native rejection into an IpvsError about context. */
  #call<T>(context: ErrorContext, fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(() => this.#wrap(context, fn), () => new IpvsError(os.errno.ECANCELED, context));
  }

  async #wrap<T>(context: ErrorContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof IpvsValidationError || !isNativeError(err)) throw err;
      throw new IpvsError(err.errno, { ...context, stage: err.stage });
    }
  }
}
