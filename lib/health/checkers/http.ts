/**
 * HTTP_GET and SSL_GET over undici: one GET per attempt on a connection of its own (a pooled
 * keep-alive connection would keep answering from a server whose listener is gone), the status
 * against the accepted codes and ranges, the body's first 64 KiB against a regex. The attempt's
 * timeout covers connecting, the headers and the body.
 *
 * Each attempt is a dispatch handler (undici's Dispatcher.dispatch), not request(): no promise, body
 * stream or AbortSignal per attempt; the body is counted (and kept only for a regex) as it arrives.
 */
import type { Client, Dispatcher } from 'undici';
import type { CheckOutcome, CheckTarget, HttpCheckSettings } from '../types';
import { errorCode, timedOut, type Attempt, type Probe } from './attempt';

/** The part of the body the regex sees: enough for a status page, bounded against a huge one. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** What an attempt cut short (its timeout or a cancel) hands undici to end the request with. */
const CUT_SHORT = Object.freeze(new Error('health check attempt cut short'));
const USER_AGENT = 'node-ipvs health check';

/** Accepted statuses as closed ranges. */
export function statusRanges(status: readonly (number | string)[]): [number, number][] {
  return status.map((s) => {
    if (typeof s === 'number') return [s, s];
    const [lo, hi = lo] = s.split('-').map(Number);
    return [lo, hi];
  });
}

/** One checked origin: its client and the request it sends. */
interface Origin {
  client: Client;
  request: Dispatcher.DispatchOptions;
}

/** What every attempt of one check needs. */
interface HttpCheck {
  ranges: [number, number][];
  body: RegExp | null;
}

export function httpProbe(settings: HttpCheckSettings, tls: boolean): Probe {
  const check: HttpCheck = { ranges: statusRanges(settings.status ?? ['200-299']), body: settings.body === undefined ? null : new RegExp(settings.body) };
  // One undici Client per origin, but no connection outlives its request (reset: true sends
  // "Connection: close" and closes the socket after the response): a fresh connection per attempt,
  // without building a client each time. Between checks a Client holds no socket.
  const origins = new Map<string, Origin>();
  const originFor = (target: CheckTarget, timeoutMs: number): Origin => {
    const host = target.family === 'inet6' ? `[${target.address}]` : target.address;
    const url = `${tls ? 'https' : 'http'}://${host}:${target.port}`;
    const key = `${url} ${timeoutMs}`;
    let origin = origins.get(key);
    if (!origin || origin.client.destroyed || origin.client.closed) {
      // undici (110 modules) loads with the first HTTP check, not with the library.
      const { Client: UndiciClient } = require('undici') as typeof import('undici');
      const client = new UndiciClient(url, {
        connectTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connect: tls
          ? { rejectUnauthorized: settings.verify === true, ca: settings.ca, servername: settings.sni, timeout: timeoutMs }
          : { timeout: timeoutMs },
      });
      const headers = { host: settings.host ?? hostPort(target, tls), 'user-agent': USER_AGENT };
      origin = { client, request: { method: 'GET', path: settings.path ?? '/', headers, reset: true } };
      origins.set(key, origin);
    }
    return origin;
  };
  return { start: (target, timeoutMs, done) => new HttpAttempt(check, originFor(target, timeoutMs), timeoutMs, done) };
}

function hostPort(target: CheckTarget, tls: boolean): string {
  const host = target.family === 'inet6' ? `[${target.address}]` : target.address;
  return target.port === (tls ? 443 : 80) ? host : `${host}:${target.port}`;
}

/** One GET: undici calls its handler methods; the first of its outcome, its timeout or cancel() ends it. */
class HttpAttempt implements Attempt, Dispatcher.DispatchHandler {
  readonly #check: HttpCheck;
  readonly #done: (outcome: CheckOutcome) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  #controller: Dispatcher.DispatchController | null = null;
  #settled = false;
  /** While dispatch() runs: an outcome then (a destroyed client) is reported on the next tick. */
  #starting = true;
  #status = 0;
  #size = 0;
  #chunks: Buffer[] | null = null;

  constructor(check: HttpCheck, origin: Origin, timeoutMs: number, done: (outcome: CheckOutcome) => void) {
    this.#check = check;
    this.#done = done;
    this.#timer = setTimeout(() => this.#end(timedOut(timeoutMs), true), timeoutMs);
    origin.client.dispatch(origin.request, this);
    this.#starting = false;
  }

  cancel(): void {
    this.#end(null, true);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Cut short before undici had a connection to hand over: end the request now.
    if (this.#settled) controller.abort(CUT_SHORT);
    else this.#controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    // 1xx informational heads come before the real one.
    if (statusCode < 200) return;
    this.#status = statusCode;
    if (this.#check.body !== null && this.#inRange(statusCode)) this.#chunks = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#chunks?.push(chunk);
    this.#size += chunk.length;
    // The rest is not read: the connection goes, as it would after the response.
    if (this.#size >= BODY_LIMIT_BYTES) this.#end(this.#outcome(), true);
  }

  onResponseEnd(): void {
    this.#end(this.#outcome(), false);
    withoutStackUntilNextTick();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#settled) return;
    // Once the head is in, a body that breaks off leaves the status to decide (a regex needs the body).
    if (this.#status !== 0 && this.#chunks === null) this.#end(this.#outcome(), false);
    else this.#end({ ok: false, reason: this.#status !== 0 ? errorCode(err) : requestFailure(err) }, false);
  }

  #inRange(status: number): boolean {
    return this.#check.ranges.some(([lo, hi]) => status >= lo && status <= hi);
  }

  #outcome(): CheckOutcome {
    const status = this.#status;
    if (!this.#inRange(status)) return { ok: false, reason: `status ${status}` };
    const body = this.#check.body;
    if (body === null || this.#chunks === null) return { ok: true, reason: `status ${status}` };
    const text = Buffer.concat(this.#chunks).subarray(0, BODY_LIMIT_BYTES).toString('utf8');
    return body.test(text) ? { ok: true, reason: `status ${status}` } : { ok: false, reason: `body does not match /${body.source}/` };
  }

  #end(outcome: CheckOutcome | null, cut: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#chunks = null;
    if (cut) this.#controller?.abort(CUT_SHORT);
    this.#controller = null;
    if (outcome === null) return;
    if (this.#starting) queueMicrotask(() => this.#done(outcome));
    else this.#done(outcome);
  }
}

/**
 * Right after onResponseEnd returns, undici ends the connection (reset: true) by destroying its socket
 * with an InformationalError('reset'), and Node's stream destroy reads that error's stack at once: a
 * stack captured and formatted per check, a seventh of an HTTP check's CPU, for an error nobody sees.
 * So no stack is captured until the next tick, queued here before the socket's own close events. The
 * attempt's outcome was reported before: no code of the caller runs meanwhile.
 */
function withoutStackUntilNextTick(): void {
  const limit = Error.stackTraceLimit;
  if (limit === 0) return;
  Error.stackTraceLimit = 0;
  process.nextTick(() => {
    if (Error.stackTraceLimit === 0) Error.stackTraceLimit = limit;
  });
}

function requestFailure(err: unknown): string {
  const code = errorCode(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers timeout';
  if (code === 'UND_ERR_SOCKET') return 'connection closed before the response';
  // Socket errors while connecting keep their errno name (ECONNREFUSED, EHOSTUNREACH); TLS ones their OpenSSL code.
  const cause = (err as { cause?: unknown }).cause;
  return `connect ${cause ? errorCode(cause) : code}`;
}
