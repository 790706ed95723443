/**
 * The VRRP codec under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer
 * (native/check/vrrp_check.cc): keepalived's captured adverts, 20,000 random round trips and
 * 300,000 mutated, truncated and random packets in exact-size heap blocks.
 */
import { describe, expect, it } from 'vitest';
import { buildVrrpCheck, runChild } from '../helpers/native-check';

describe('VRRP codec under sanitizers', () => {
  it('decodes, round-trips and survives fuzzing with no memory error, undefined behaviour or leak', async () => {
    const bin = await buildVrrpCheck('vrrp_check_asan', ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined']);
    const r = await runChild(bin, [], { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' });
    expect(r.stderr).toBe(''); // any CHECK failure or sanitizer report lands here
    expect(r.stdout.trim()).toBe('codec: 0 failures');
    expect(r.status).toBe(0);
  }, 180_000);
});
