/** The addon's edge refuses misuse with JS errors; nothing crashes the process. */
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';

const { Client } = native();
type Loose = { [k: string]: (...args: unknown[]) => unknown };

describe('native client misuse', () => {
  it('calls before open, bad arguments and calls after close throw, never crash', async () => {
    const c = new Client() as unknown as Loose;
    expect(() => c.execute([], 1000)).toThrow('the IPVS client is not open');
    expect(() => c.query({ cmd: 4 }, 1000)).toThrow('the IPVS client is not open');
    expect(() => c.open(42, 1000)).toThrow(TypeError);
    expect(() => c.open(null, 0)).toThrow(/timeout must be/);
    expect(() => c.open(null, 'soon')).toThrow(/timeout must be/);
    expect(() => c.open(null, Infinity)).toThrow(/timeout must be/);
    expect(c.family()).toBe(0);
    c.close();
    c.close();
    expect(() => c.open(null, 1000)).toThrow('the IPVS client is closed');
    expect(() => c.execute([{ cmd: 1 }], 1000)).toThrow('the IPVS client is closed');
    expect(() => c.getTable(1000, true)).toThrow('the IPVS client is closed');
  });

  it('rtnetlink calls need a deadline: a missing or bad timeout is a TypeError, nothing is sent', () => {
    const hostNet = native().hostNet as unknown as (...args: unknown[]) => Promise<unknown>;
    const link = { op: 'link', interface: 'lo' };
    for (const timeout of [undefined, 0, -5, 'soon', NaN, Infinity, 2 ** 31]) {
      expect(() => hostNet(null, link, timeout)).toThrow(/hostNet: timeout must be/);
    }
  });

  it('an open of a path that is not a namespace rejects with EINVAL', async () => {
    const c = new Client();
    await expect(c.open('/etc/hostname', 1000)).rejects.toMatchObject({ errno: 22, stage: '/etc/hostname is not a network namespace' });
    await expect(c.open('/nonexistent/ns', 1000)).rejects.toMatchObject({ errno: 2 });
    c.close();
  });

  it('closing while open is in flight rejects the open with ECANCELED or its own error', async () => {
    const c = new Client();
    const opening = c.open(null, 1000);
    c.close();
    const err = await opening.then(() => null, (e: { errno: number }) => e);
    // On a machine without IPVS the open fails on its own (ENOENT); with IPVS it is cancelled.
    expect([2, 125]).toContain(err?.errno);
  });
});
