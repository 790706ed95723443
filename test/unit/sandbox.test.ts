/** The sandbox's generated init script: every word reaches the guest's shell intact. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { END_MARKER, START_MARKER, initScript, shellQuote } from '../../lib/sandbox/init-script';

describe('sandbox init script', () => {
  it('quotes any word for /bin/sh', () => {
    const words = ["it's", '$HOME', '`id`', 'a b', '"q"', '\\', '', 'ünï', '*', '; rm -rf /'];
    const r = spawnSync('/bin/sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(words.map((w) => `${w}\n`).join(''));
  });

  it('mounts, loads modules, runs the command between markers and records its status', () => {
    const script = initScript({
      workDir: '/tmp/w', statusFile: '/tmp/w/status', cwd: '/work/x', env: { A: "x'y", 'BAD-NAME': 'z' },
      modules: ['ip_vs', 'ip_vs_rr'], command: ['npx', 'vitest', 'run', 'a b'],
    });
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain("for m in 'ip_vs' 'ip_vs_rr'; do");
    expect(script).toContain("export A='x'\\''y'");
    expect(script).not.toContain('BAD-NAME');
    expect(script).toContain(`( 'npx' 'vitest' 'run' 'a b' </dev/null; echo "$?" > '/tmp/w/status' ) 2>&1 | cat`);
    expect(script.indexOf(START_MARKER)).toBeLessThan(script.indexOf("'npx'"));
    expect(script.indexOf("'npx'")).toBeLessThan(script.indexOf(END_MARKER));
    expect(script).toContain('echo o > /proc/sysrq-trigger');
    // The script must be valid shell.
    expect(spawnSync('/bin/sh', ['-n', '-c', script]).status).toBe(0);
  });
});
