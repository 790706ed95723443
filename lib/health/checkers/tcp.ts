/** TCP_CHECK: up when a connection to the target is accepted; closed at once. */
import { connect } from 'node:net';
import type { CheckOutcome } from '../types';
import { errorCode, timedOut, type Attempt, type Probe } from './attempt';

const CONNECTED: CheckOutcome = Object.freeze({ ok: true, reason: 'connected' });

/**
 * The hot path of a TCP check: one socket, one timer, one settle. The socket's own listeners stay
 * on (not once) so an error after the settle has a listener and is dropped.
 */
export const tcpProbe: Probe = {
  start(target, timeoutMs, done): Attempt {
    let settled = false;
    let socket: ReturnType<typeof connect> | null = null;
    const end = (outcome: CheckOutcome | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (outcome) done(outcome);
    };
    const timer = setTimeout(() => end(timedOut(timeoutMs)), timeoutMs);
    try {
      socket = connect({ host: target.address, port: target.port, family: target.family === 'inet6' ? 6 : 4 });
      socket.on('connect', () => end(CONNECTED));
      socket.on('error', (err) => end({ ok: false, reason: `connect ${errorCode(err)}` }));
    } catch (err) {
      queueMicrotask(() => end({ ok: false, reason: `connect ${errorCode(err)}` }));
    }
    return { cancel: () => end(null) };
  },
};
