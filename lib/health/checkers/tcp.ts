/** TCP_CHECK: up when a connection to the target is accepted; closed at once. */
import { connect } from 'node:net';
import type { Checker, CheckOutcome, CheckTarget } from '../types';
import { bounded, errorCode } from './attempt';

export function tcpChecker(): Checker {
  return { check: (target, timeoutMs, signal) => bounded(timeoutMs, signal, (inner) => tcpConnect(target, inner)) };
}

function tcpConnect(target: CheckTarget, signal: AbortSignal): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.address, port: target.port, family: target.family === 'inet6' ? 6 : 4 });
    const end = (outcome: CheckOutcome): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => end({ ok: false, reason: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => end({ ok: true, reason: 'connected' }));
    socket.once('error', (err) => end({ ok: false, reason: `connect ${errorCode(err)}` }));
  });
}
