/**
 * The sandbox guest's /dev has what shells and terminals expect (issue 8 item 20):
 * process substitution needs /dev/fd, `script` needs a devpts and /dev/ptmx.
 * Runs inside the sandbox kernel like every kernel test; the checks hold on a
 * normal host too, so they test the guest only when run there (NODE_IPVS_SANDBOX).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
}

describe('sandbox guest devices', () => {
  it('runs inside the sandbox kernel', () => {
    expect(process.env.NODE_IPVS_SANDBOX).toBe('1');
  });

  it('bash process substitution works: diff <(echo a) <(echo a)', () => {
    const r = run('bash', ['-c', 'diff <(echo a) <(echo a) && diff <(echo a) <(echo b); echo "status $?"']);
    expect(r.stderr).toBe('');
    // The second diff sees the two different inputs: proof both sides were read.
    expect(r.stdout).toBe('1c1\n< a\n---\n> b\nstatus 1\n');
  });

  it('/dev/fd, /dev/stdin, /dev/stdout and /dev/stderr point into /proc/self/fd', () => {
    expect(readlinkSync('/dev/fd')).toBe('/proc/self/fd');
    expect(readlinkSync('/dev/stdin')).toBe('/proc/self/fd/0');
    expect(readlinkSync('/dev/stdout')).toBe('/proc/self/fd/1');
    expect(readlinkSync('/dev/stderr')).toBe('/proc/self/fd/2');
    // Through a pipe: Node's own stdio here are sockets, which /proc/self/fd cannot reopen.
    const r = run('sh', ['-c', '{ echo to-stderr >/dev/stderr; } 2>&1 | cat; cat /dev/stdin </dev/null; echo done']);
    expect(r.stdout).toBe('to-stderr\ndone\n');
  });

  it('/dev/pts is a devpts file system', () => {
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
    expect(mounts.find((m) => m[1] === '/dev/pts')?.[2]).toBe('devpts');
  });

  it('script gets a terminal: script -qc true /dev/null, and tty inside it names a pts', () => {
    expect(run('script', ['-qc', 'true', '/dev/null']).status).toBe(0);
    const r = run('script', ['-qc', 'tty', '/dev/null']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/);
  });
});
