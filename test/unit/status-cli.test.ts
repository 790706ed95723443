/** node-ipvs status without a kernel: listed, its help fits 80 columns, usage mistakes exit 2. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../../lib/cli/status';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
/** Each spawn starts node and the CLI: seconds apiece on a loaded machine. */
const SPAWNS_TIMEOUT = 30_000;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('node-ipvs status', () => {
  it('is listed, and its help screen fits 80 columns', () => {
    expect(cli('--help').stdout).toMatch(/^ {2}status {10}/m);
    const r = cli('status', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: node-ipvs status [--state FILE]');
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  }, SPAWNS_TIMEOUT);

  it('its help lists only options it takes (run in this process: nothing reaches a kernel with --help)', async () => {
    /** The help printed, or the usage error thrown. */
    const run = async (...args: string[]) => {
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
      try {
        await statusCommand.run(args);
        return out;
      } catch (error) {
        return `error: ${(error as Error).message}`;
      } finally {
        spy.mockRestore();
      }
    };
    const listed = [...(await run('--help')).matchAll(/^ +(--[a-z][a-z-]*)/gm)].map((m) => m[1]);
    expect(listed).toEqual(['--state', '--drain-timeout', '--consistent', '--json', '--netns']);
    for (const option of listed) expect(await run(`${option}=1`, '--help'), option).not.toMatch(/Unknown option/);
    expect(await run('--stat=1', '--help')).toMatch(/^error: Unknown option '--stat'/);
  });

  it('refuses a bad --drain-timeout and stray arguments (exit 2)', () => {
    expect(cli('status', '--drain-timeout', '1.5').stderr).toBe('node-ipvs: --drain-timeout: expected a whole number, got "1.5" (see node-ipvs status --help)\n');
    expect(cli('status', '--drain-timeout', '2000001').status).toBe(2);
    expect(cli('status', 'extra').status).toBe(2);
  }, SPAWNS_TIMEOUT);

});
