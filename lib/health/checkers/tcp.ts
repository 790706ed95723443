/** TCP_CHECK: up when a connection to the target is accepted; closed at once. */
import { Socket } from 'node:net';
import type { CheckOutcome } from '../types';
import { errorCode, timedOut, type Attempt, type Probe } from './attempt';

const CONNECTED: CheckOutcome = Object.freeze({ ok: true, reason: 'connected' });
/** Closed sockets kept for reuse; more than this many attempts at once make new ones, dropped after. */
const SPARE_SOCKETS = 64;

/**
 * A socket reused across attempts: Node reconnects a net.Socket once it has closed (its 'close'
 * event), so an attempt costs a connection, not also a new Socket and its two stream states (a
 * fifth of a check's CPU). Its listeners are set once and report to whichever attempt holds it;
 * they stay on between attempts, so a late error has a listener and is dropped.
 */
class Line {
  readonly socket = new Socket();
  attempt: TcpAttempt | null = null;

  constructor(spare: Line[]) {
    this.socket.on('connect', () => this.attempt?.end(CONNECTED));
    this.socket.on('error', (err) => this.attempt?.end({ ok: false, reason: `connect ${errorCode(err)}` }));
    this.socket.on('close', () => {
      if (spare.length < SPARE_SOCKETS) spare.push(this);
    });
  }
}

/** One connection attempt: one timer, one settle. */
class TcpAttempt implements Attempt {
  readonly #line: Line;
  readonly #done: (outcome: CheckOutcome) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  #settled = false;

  constructor(line: Line, timeoutMs: number, done: (outcome: CheckOutcome) => void) {
    this.#line = line;
    this.#done = done;
    this.#timer = setTimeout(() => this.end(timedOut(timeoutMs)), timeoutMs);
    line.attempt = this;
  }

  cancel(): void {
    this.end(null);
  }

  end(outcome: CheckOutcome | null): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#line.attempt = null;
    this.#line.socket.destroy();
    if (outcome) this.#done(outcome);
  }
}

const spare: Line[] = [];

export const tcpProbe: Probe = {
  start(target, timeoutMs, done): Attempt {
    const line = spare.pop() ?? new Line(spare);
    const attempt = new TcpAttempt(line, timeoutMs, done);
    try {
      line.socket.connect({ host: target.address, port: target.port, family: target.family === 'inet6' ? 6 : 4 });
    } catch (err) {
      // Never from within start().
      queueMicrotask(() => attempt.end({ ok: false, reason: `connect ${errorCode(err)}` }));
    }
    return attempt;
  },
};
