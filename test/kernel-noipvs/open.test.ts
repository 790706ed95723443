/** Runs in a sandbox kernel booted without ip_vs: opening must fail clearly, never succeed silently. */
import { describe, expect, it } from 'vitest';
import { Ipvs, IpvsError } from '../../lib';

describe('a kernel without IPVS', () => {
  it('open() rejects with ENOENT and says how to load IPVS', async () => {
    const err = await Ipvs.open().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: 2, operation: 'open' });
    expect((err as IpvsError).message).toMatch(/IPVS is not available in this kernel.*modprobe ip_vs/);
  });
});
