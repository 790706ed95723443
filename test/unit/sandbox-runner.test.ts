/**
 * The sandbox runner end to end: it boots the real user-mode kernel on this
 * machine (no root needed), so these tests need the user-mode-linux package
 * that scripts/setup.sh installs.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
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
        'Install with: apt-get update && apt-get install -y user-mode-linux kmod iproute2 ipvsadm keepalived'));
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

  it.each(['SIGTERM', 'SIGINT'] as const)('takes its guest down when the process that booted it gets %s', async (signal) => {
    // A child process boots a guest that would run for five minutes, then is told to stop.
    const runner = join(__dirname, '..', '..', 'dist', 'sandbox', 'runner.js');
    const script = `require(${JSON.stringify(runner)}).runInSandbox({ command: ['sh', '-c', 'echo up; sleep 300'], modules: [],
      timeoutMs: 600000, onOutput: (t) => process.stdout.write(t) }).catch(() => {});`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('up')) resolve(); }));
    // The guest's process group is led by the child's linux.uml process.
    const pgid = processes().find((p) => p.ppid === child.pid && p.cmdline.startsWith('/usr/bin/linux.uml'))?.pid;
    expect(pgid).toBeGreaterThan(0);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    child.kill(signal);
    expect(await exited).toBe(signal); // the signal still ends the process as it would have
    await new Promise((r) => setTimeout(r, 500));
    // Killed ones may linger as zombies until this machine's init reaps them: those do not run.
    expect(processes().filter((p) => p.pgid === pgid && p.state !== 'Z')).toEqual([]);
  }, 60_000);
});

/** This machine's processes, from /proc. */
function processes(): { pid: number; state: string; ppid: number; pgid: number; cmdline: string }[] {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // fields after "(comm) ": state ppid pgrp ...
      const [state, ppid, pgid] = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ');
      out.push({ pid: Number(name), state, ppid: Number(ppid), pgid: Number(pgid), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch { /* gone meanwhile */ }
  }
  return out;
}
