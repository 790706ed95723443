/**
 * A path given as a namespace is opened without blocking: a FIFO, a socket, a
 * directory, a device or a plain file is refused at once as "not a network
 * namespace" (EINVAL), by Ipvs.open and by the host helpers alike. Each case
 * runs in a child process killed after a few seconds, so a regression (open(2)
 * waiting for a FIFO's writer, which not even process.exit() ends) fails the
 * test instead of hanging the suite. No root and no IPVS needed: the namespace
 * file is checked before anything else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dist = join(__dirname, '..', '..', 'dist');
const dir = mkdtempSync(join(tmpdir(), 'netns-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `make` (shell, creating $P) then every opener on $P in a child; returns each one's error code. */
function codesFor(make: string): Record<string, string> {
  const path = join(dir, `ns-${Math.random().toString(36).slice(2)}`);
  const script = `
    const { Ipvs, director, vip, drRealServer } = require(${JSON.stringify(dist)});
    const net = require('node:net');
    const path = ${JSON.stringify(path)};
    const code = (p) => p.then(() => 'resolved', (e) => e.code);
    (async () => {
      let server;
      if (${JSON.stringify(make)} === 'socket') await new Promise((r) => { server = net.createServer().listen(path, r); });
      const out = {
        open: await code(Ipvs.open({ netns: path, timeout: 1000 })),
        directorStatus: await code(director.status({ netns: path })),
        vipStatus: await code(vip.status({ netns: path, address: '192.0.2.1' })),
        realServerStatus: await code(drRealServer.status({ netns: path, interfaces: ['eth0'] })),
      };
      server?.close();
      process.stdout.write(JSON.stringify(out));
      process.exit(0);
    })();`;
  if (make !== 'socket') spawnSync('/bin/sh', ['-c', make], { env: { ...process.env, P: path } });
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 8000, killSignal: 'SIGKILL' });
  expect(r.signal, `the child hung (${make})`).toBeNull();
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe('namespace paths that are no namespace', () => {
  it.each([
    ['a FIFO', 'mkfifo "$P"'],
    ['a unix socket', 'socket'],
    ['a directory', 'mkdir "$P"'],
    ['a regular file', 'echo x > "$P"'],
    ['/dev/zero', 'ln -s /dev/zero "$P"'],
    ['/dev/null', 'ln -s /dev/null "$P"'],
  ])('%s is EINVAL at once, never a hang', { timeout: 15_000 }, (_what, make) => {
    const started = Date.now();
    expect(codesFor(make)).toEqual({ open: 'EINVAL', directorStatus: 'EINVAL', vipStatus: 'EINVAL', realServerStatus: 'EINVAL' });
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('a missing path is ENOENT', () => {
    expect(codesFor('true')).toEqual({ open: 'ENOENT', directorStatus: 'ENOENT', vipStatus: 'ENOENT', realServerStatus: 'ENOENT' });
  });
});
