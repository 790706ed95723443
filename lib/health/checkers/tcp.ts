/**
 * TCP_CHECK: up when a connection to the target is accepted; closed at once.
 *
 * The attempts are native (native/tcp_connect.cc): a non-blocking connect per attempt, one epoll
 * descriptor for all of them that libuv watches, ended attempts handed over in batches. A
 * net.Socket per attempt (even one reused) cost three times the CPU of the system calls
 * themselves: 4,000 checks a second took a quarter of a core. Sockets are opened on this thread,
 * so in its network namespace, as net's were.
 */
import { native, type NativeTcpConnects } from '../../binding';
import { errnoName } from '../../errors';
import type { CheckOutcome } from '../types';
import { timedOut, type Attempt, type Probe } from './attempt';

const CONNECTED: CheckOutcome = Object.freeze({ ok: true, reason: 'connected' });
const IN_FLIGHT = -1;

const failed = (code: string): CheckOutcome => ({ ok: false, reason: `connect ${code}` });
const outcomeOf = (errno: number): CheckOutcome => (errno === 0 ? CONNECTED : failed(errnoName(errno)));

/** The attempts in flight by slot (the native side's index), and the slots free for reuse. */
const bySlot: (TcpAttempt | undefined)[] = [];
const freeSlots: number[] = [];
let connects: NativeTcpConnects | null = null;

function ended(pairs: Int32Array): void {
  for (let i = 0; i < pairs.length; i += 2) bySlot[pairs[i]]?.end(outcomeOf(pairs[i + 1]), false);
}

/** One connection attempt: one timer, one settle. */
class TcpAttempt implements Attempt {
  readonly #slot: number;
  readonly #done: (outcome: CheckOutcome) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  #settled = false;

  constructor(slot: number, timeoutMs: number, done: (outcome: CheckOutcome) => void) {
    this.#slot = slot;
    this.#done = done;
    this.#timer = setTimeout(() => this.end(timedOut(timeoutMs), true), timeoutMs);
    bySlot[slot] = this;
  }

  cancel(): void {
    this.end(null, true);
  }

  /** `release`: the native side still holds the socket (a timeout or cancel, not its own end). */
  end(outcome: CheckOutcome | null, release: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    if (release) connects?.cancel(this.#slot);
    bySlot[this.#slot] = undefined;
    freeSlots.push(this.#slot);
    if (outcome) this.#done(outcome);
  }
}

/** An attempt that ended inside start(): reported on the next microtask, never from within start(). */
function endedAtOnce(outcome: CheckOutcome, done: (outcome: CheckOutcome) => void): Attempt {
  let cancelled = false;
  queueMicrotask(() => {
    if (!cancelled) done(outcome);
  });
  return { cancel: () => { cancelled = true; } };
}

export const tcpProbe: Probe = {
  start(target, timeoutMs, done): Attempt {
    const { port } = target;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return endedAtOnce(failed('ERR_SOCKET_BAD_PORT'), done);
    connects ??= new (native().TcpConnects)(ended);
    const slot = freeSlots.pop() ?? bySlot.length;
    const r = connects.start(slot, target.address, port);
    if (r !== IN_FLIGHT) {
      freeSlots.push(slot);
      return endedAtOnce(outcomeOf(r), done);
    }
    return new TcpAttempt(slot, timeoutMs, done);
  },
};
