/**
 * node-ipvs director's command line without a kernel: usage errors (exit 2), a config with
 * problems (exit 1, each at its line and column, nothing opened), a missing namespace, and a
 * help screen that fits 80 columns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAsync } from '../helpers/child';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'director-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnAsync(process.execPath, [CLI, 'director', ...args], { timeout: 20_000 });

describe('node-ipvs director', () => {
  it('--help fits 80 columns and names the signals', async () => {
    const r = await cli('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: node-ipvs director CONFIG/);
    expect(r.stdout).toMatch(/SIGHUP/);
    expect(r.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
  });

  it('usage errors exit 2', async () => {
    expect(await cli()).toMatchObject({ status: 2, stderr: expect.stringMatching(/director takes one CONFIG file, got 0/) });
    expect(await cli('a.yaml', 'b.yaml')).toMatchObject({ status: 2 });
    expect(await cli('a.yaml', '--bogus')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--bogus/) });
  });

  it('a config with problems exits 1, each problem at its line and column', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'director:\n  onStop: flush\nservices:\n  - service: tcp 203.0.113.10:80\n    health: { type: tcp, interval: soon }\n');
    const r = await cli(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:2:11: director.onStop: expected one of 'keep', 'remove'`);
    expect(r.stderr).toContain(`${file}:5:36: services[0].health.interval: expected a duration`);
    expect(r.stderr).toMatch(/nothing was applied\n$/);
    expect(r.stdout).toBe('');
  });

  it('a missing file or namespace exits 1 with one line', async () => {
    expect(await cli(join(dir, 'none.yaml'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/ENOENT/) });
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'services: []\n');
    expect(await cli(file, '--netns', 'no-such-ns-here')).toMatchObject({ status: 1, stderr: 'node-ipvs: network namespace /run/netns/no-such-ns-here does not exist (ENOENT)\n' });
  });
});
