/**
 * Batches and restores cut short (issue 8, item 7), against a fake native client that fails on
 * cue: the rejection is an IpvsPartialError holding every result, which says what took effect.
 * (Deadlines mid-send are hard to provoke in a real kernel, which queues every ACK of a sendmsg
 * before send() returns; the kernel tests cover close().)
 */
import { constants as os } from 'node:os';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsError, IpvsPartialError, IpvsValidationError } from '../../lib';
import type { BatchOperation, BatchResult, RestoreLineResult } from '../../lib';
import { STATUS_NOT_SENT, STATUS_UNKNOWN, type NativeRequest } from '../../lib/binding';
import { answers, calls, resetFake } from '../helpers/fake-binding';

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  return { ...real, native: () => ({ ...real.native(), Client: Fake }) };
});

let ipvs: Ipvs;
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(resetFake);

/** The native rejection of a call that stopped part-way: per-request statuses attached. */
function nativeFailure(errno: number, status: number[]): Error {
  return Object.assign(new Error('native'), { errno, stage: 'waiting for the kernel', status: Int32Array.from(status) });
}

const adds = (count: number): BatchOperation[] =>
  Array.from({ length: count }, (_, i) => ({ op: 'addService', service: { protocol: 'tcp', address: '192.0.2.1', port: i + 1 } }));

describe('batch cut short', () => {
  it('a deadline mid-send rejects with IpvsPartialError: ok, refused, unknown and not sent, each in its place', async () => {
    answers.execute = () => {
      throw nativeFailure(os.errno.ETIMEDOUT, [0, os.errno.EEXIST, STATUS_UNKNOWN, STATUS_NOT_SENT, STATUS_NOT_SENT]);
    };
    const err = await ipvs.batch(adds(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    expect(err).toBeInstanceOf(IpvsError);
    const cut = err as IpvsPartialError<BatchResult>;
    expect([cut.name, cut.code, cut.operation, cut.applied, cut.unknown, cut.notSent]).toEqual(['IpvsPartialError', 'ETIMEDOUT', 'batch', 1, 1, 2]);
    expect(cut.results.map((r) => (r.ok ? 'ok' : `${r.error.code}:${r.applied}:${r.sent ?? ''}`))).toEqual([
      'ok', 'EEXIST:no:', 'ETIMEDOUT:unknown:', 'ETIMEDOUT:no:false', 'ETIMEDOUT:no:false',
    ]);
    expect(cut.message).toMatch(/^batch stopped part-way: 1 of 5 operations applied, 1 sent without an answer, 2 not sent: /);
  });

  it('a batch run to its end still resolves, failures and all', async () => {
    answers.execute = (reqs: NativeRequest[]) => Int32Array.from(reqs.map((_, i) => (i === 1 ? os.errno.EEXIST : 0)));
    const results = await ipvs.batch(adds(3));
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
  });

  it('a batch refused in validation is no partial result: nothing was sent', async () => {
    await expect(ipvs.batch([{ op: 'addService', service: { protocol: 'tcp', address: '192.0.2.1', port: 70000 } }]))
      .rejects.toBeInstanceOf(IpvsValidationError);
    expect(calls).toEqual([]);
  });
});

const text = (count: number) => `${Array.from({ length: count }, (_, i) => `-A -t 192.0.2.1:${i + 1} -s rr`).join('\n')}\n`;

describe('restore cut short', () => {
  it('a deadline in the second batch: its lines by their statuses, the later lines skipped, with their numbers', async () => {
    let call = 0;
    answers.execute = (reqs: NativeRequest[]) => {
      if (call++ === 0) return new Int32Array(reqs.length);
      throw nativeFailure(os.errno.ETIMEDOUT, reqs.map((_, i) => (i < 10 ? 0 : i < 20 ? STATUS_UNKNOWN : STATUS_NOT_SENT)));
    };
    const err = await ipvs.restore(text(1500)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    const cut = err as IpvsPartialError<RestoreLineResult>;
    expect([cut.code, cut.operation, cut.applied, cut.unknown, cut.notSent]).toEqual(['ETIMEDOUT', 'restore', 522, 10, 968]);
    expect(cut.results).toHaveLength(1500);
    expect(cut.results[521]).toMatchObject({ line: 522, status: 'applied' });
    expect(cut.results[522]).toMatchObject({ line: 523, status: 'unknown', error: { code: 'ETIMEDOUT' } });
    expect(cut.results[532]).toMatchObject({ line: 533, status: 'skipped' });
    expect(cut.results.at(-1)).toMatchObject({ line: 1500, status: 'skipped' });
    expect(calls).toHaveLength(2); // nothing sent after the failed call
  });

  it('an onProgress that throws stops it: the thrown error is the cause, what was sent is reported', async () => {
    const boom = new Error('display broke');
    const err = await ipvs.restore(text(1100), { onProgress: () => { throw boom; } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsPartialError);
    const cut = err as IpvsPartialError<RestoreLineResult>;
    expect([cut.code, cut.cause, cut.applied, cut.notSent]).toEqual(['ECANCELED', boom, 512, 588]);
    expect(calls).toHaveLength(1);
  });

  it('a signal aborted before the start: nothing sent, every line skipped', async () => {
    const err = await ipvs.restore(text(3), { signal: AbortSignal.abort(new Error('no')) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECANCELED', applied: 0, notSent: 3 });
    expect(calls).toEqual([]);
  });

  it('options.signal must be an AbortSignal', async () => {
    await expect(ipvs.restore(text(1), { signal: {} as AbortSignal })).rejects.toMatchObject({ field: 'options.signal' });
  });
});
