/**
 * enterNetns(netns) refusing bad input: names and paths checked before any system call
 * (IpvsValidationError naming the field), files that are not network namespaces refused with
 * EINVAL, a missing one with ENOENT, a FIFO at once (never waited on). Success moves only the
 * calling thread: run in a worker, entering this process's own namespace, the main thread's
 * namespace is unchanged (the kernel test enters another one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { IpvsError, IpvsValidationError } from '../../lib/errors';
import { enterNetns } from '../../lib/netns';

const dir = mkdtempSync(join(tmpdir(), 'enter-netns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(value: unknown): unknown {
  try {
    enterNetns(value);
  } catch (err) {
    return err;
  }
  return null;
}

describe('enterNetns', () => {
  it.each([[''], [5], [null], ['a\0b'], ['..'], ['x'.repeat(256)]])('refuses %j before any system call, naming netns', (value) => {
    const err = error(value);
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect((err as IpvsValidationError).field).toBe('netns');
  });

  it('refuses what is not a network namespace with EINVAL: a file, a directory, a FIFO (at once), another namespace type', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const path of [file, dir, fifo, '/proc/self/ns/uts']) {
      const err = error(path);
      expect(err, path).toBeInstanceOf(IpvsError);
      expect((err as IpvsError).code, path).toBe('EINVAL');
    }
  });

  it('a missing one is ENOENT, its name in the message', () => {
    const err = error('no-such-namespace-here') as IpvsError;
    expect(err).toBeInstanceOf(IpvsError);
    expect(err.code).toBe('ENOENT');
    expect(err.message).toContain('/run/netns/no-such-namespace-here');
  });

  it('in a worker: enters (its own namespace here) and leaves the main thread where it was', async () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    const dist = join(__dirname, '..', '..', 'dist', 'netns.js');
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const { readlinkSync } = require('node:fs');
      const path = require(${JSON.stringify(dist)}).enterNetns('/proc/self/ns/net');
      parentPort.postMessage({ path, ns: readlinkSync('/proc/thread-self/ns/net') });`, { eval: true });
    const got = await new Promise<{ path: string; ns: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(got.path).toBe('/proc/self/ns/net');
    expect(got.ns).toBe(before);
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
  });
});
