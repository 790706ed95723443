/**
 * readConfig: the file as parseConfig's input, read without waiting on what is not a regular file and
 * without reading past the size bound; the file system's own errors pass through.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IpvsConfigError, IpvsValidationError, readConfig } from '../../lib';
import { MAX_CONFIG_BYTES } from '../../lib/config/limits';

const dir = mkdtempSync(join(tmpdir(), 'node-ipvs-config-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problem(path: string): Promise<string> {
  const err = await readConfig(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IpvsConfigError);
  expect((err as IpvsConfigError).file).toBe(path);
  return (err as IpvsConfigError).problems[0].message;
}

describe('readConfig', () => {
  it('reads a file, its format from the extension, problems named after it', async () => {
    const file = join(dir, 'lb.json');
    writeFileSync(file, '{"services": [{"service": "tcp 192.0.2.10:80"}]}');
    expect(await readConfig(file)).toEqual({
      format: 'json',
      table: { services: [{ service: { protocol: 'tcp', address: '192.0.2.10', port: 80 }, options: expect.any(Object), destinations: [] }] },
      health: { services: [] },
      director: expect.objectContaining({ onStop: 'keep' }),
      vrrp: { instances: [], sync: null },
    });
    writeFileSync(file, '{"services": 5}');
    await expect(readConfig(file)).rejects.toThrow(`${file}:1:14: services: expected a list of services, got 5`);
  });

  it('the format option wins over the extension', async () => {
    const file = join(dir, 'saved.yaml');
    writeFileSync(file, '-A -t 192.0.2.10:80 -s rr\n');
    expect((await readConfig(file, { format: 'rules' })).format).toBe('rules');
  });

  it('refuses a directory', async () => {
    const sub = join(dir, 'sub.yaml');
    mkdirSync(sub);
    expect(await problem(sub)).toBe('not a regular file');
  });

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const fifo = join(dir, 'fifo.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    expect(await problem(fifo)).toBe('not a regular file');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it(`refuses a file over ${MAX_CONFIG_BYTES} bytes without reading it all`, async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'services: []\n');
    truncateSync(big, 4 * MAX_CONFIG_BYTES);
    expect(await problem(big)).toBe(`the file is larger than ${MAX_CONFIG_BYTES} bytes`);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const file = join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.from('services: []\n# caf\xe9\n', 'latin1'));
    expect(await problem(file)).toBe('not UTF-8 text');
  });

  it('passes the file system\'s errors on as they are', async () => {
    await expect(readConfig(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a path that is no file name', async () => {
    await expect(readConfig('')).rejects.toBeInstanceOf(IpvsValidationError);
    await expect(readConfig('a\0b')).rejects.toBeInstanceOf(IpvsValidationError);
    await expect(readConfig(5 as unknown as string)).rejects.toBeInstanceOf(IpvsValidationError);
  });
});
