/**
 * The sandbox runner end to end: it boots the real user-mode kernel on this
 * machine (no root needed), so these tests need the user-mode-linux package
 * that scripts/setup.sh installs.
 */
import { describe, expect, it } from 'vitest';
import { SandboxError, checkSandboxPrerequisites, runInSandbox } from '../../lib/sandbox/runner';

function collect() {
  let text = '';
  return { onOutput: (t: string) => { text += t; }, text: () => text };
}

describe('sandbox runner', () => {
  it('says exactly what to install when something is missing', () => {
    expect(() => checkSandboxPrerequisites({ kernel: '/nonexistent/linux.uml', modules: '/nonexistent/modules', tools: { '/nonexistent/ip': 'iproute2' } }))
      .toThrow(new SandboxError('the sandbox kernel needs /nonexistent/linux.uml (package user-mode-linux), /nonexistent/ip (package iproute2). ' +
        'Install with: apt-get update && apt-get install -y user-mode-linux kmod iproute2 ipvsadm'));
  });

  it('runs a command as root in a real kernel with IPVS, streams its output and returns its status', async () => {
    const out = collect();
    const result = await runInSandbox({
      command: ['sh', '-c', 'id -u; uname -r; grep -c "^ip_vs " /proc/modules; echo "$GREETING"; pwd; exit 7'],
      env: { GREETING: "it's here" }, cwd: '/usr', onOutput: out.onOutput, timeoutMs: 120_000,
    });
    expect(result.exitCode).toBe(7);
    expect(out.text().split('\n').filter(Boolean)).toEqual(['0', expect.stringMatching(/^6\.1\./), '1', "it's here", '/usr']);
    expect(result.bootMs).toBeGreaterThan(0);
  }, 150_000);

  it('boots without IPVS when asked', async () => {
    const out = collect();
    const result = await runInSandbox({ command: ['sh', '-c', 'grep -c "^ip_vs " /proc/modules; true'], modules: [], onOutput: out.onOutput, timeoutMs: 120_000 });
    expect(result.exitCode).toBe(0);
    expect(out.text().trim()).toBe('0');
  }, 150_000);

  it('kills the guest at the deadline', async () => {
    const started = Date.now();
    await expect(runInSandbox({ command: ['sleep', '300'], modules: [], timeoutMs: 8000, onOutput: () => {} }))
      .rejects.toThrow(/killed after 8000 ms/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
