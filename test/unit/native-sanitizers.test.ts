/**
 * The native codec under AddressSanitizer, UndefinedBehaviorSanitizer and
 * LeakSanitizer: round trips of every request kind and 200,000 mutated or
 * truncated messages; the TCP checks' connection attempts on loopback, every socket closed.
 * (The socket layer runs under valgrind in the kernel suite:
 * ASan's shadow memory does not fit the sandbox kernel's address space.)
 */
import { describe, expect, it } from 'vitest';
import { buildCoreCheck, buildTcpCheck, runChild } from '../helpers/native-check';

describe('native core under sanitizers', () => {
  it('encodes, decodes and survives fuzzing with no memory error or leak', async () => {
    const bin = await buildCoreCheck('core_check_asan', ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined']);
    const r = await runChild(bin, [], { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' });
    expect(r.stderr).toBe(''); // any CHECK failure or sanitizer report lands here
    expect(r.stdout.trim()).toBe('codec: 0 failures');
    expect(r.status).toBe(0);
  }, 120_000);

  it("the TCP checks' connection attempts: connected, refused, cancelled, a thousand at once, no descriptor or byte left", async () => {
    const bin = await buildTcpCheck('tcp_check_asan', ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined']);
    const r = await runChild(bin, [], { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('tcp: 0 failures');
    expect(r.status).toBe(0);
  }, 120_000);
});
