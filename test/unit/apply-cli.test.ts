/** node-ipvs apply / diff without a kernel: help screens, usage errors, config problems as FILE:LINE:COL lines. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('node-ipvs apply / diff', () => {
  it('are listed, and their help screens fit 80 columns', () => {
    expect(cli('--help').stdout).toMatch(/^ {2}apply /m);
    expect(cli('--help').stdout).toMatch(/^ {2}diff /m);
    for (const name of ['apply', 'diff']) {
      const r = cli(name, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`usage: node-ipvs ${name} FILE`);
      for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    }
  });

  it('prints every config problem as FILE:LINE:COL: field: message, applies nothing (exit 1)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'apply-cli-')), 'bad.yaml');
    writeFileSync(file, 'services:\n  - service: tcp 192.0.2.1:80\n    scheduler: [rr]\n    destinations:\n      - server: 198.51.100.1\n        weight: -1\n');
    const r = cli('apply', file);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:3:16: services\\[0\\]\\.scheduler: `));
    expect(lines[1]).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:6:17: services\\[0\\]\\.destinations\\[0\\]\\.weight: `));
    expect(lines[2]).toBe('node-ipvs apply: nothing was applied');
  });

  it('refuses --prune without --state, and anything but one FILE (exit 2)', () => {
    const r = cli('apply', 'x.yaml', '--prune');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('node-ipvs: --prune needs --state FILE (where the services applied earlier are remembered) (see node-ipvs apply --help)\n');
    expect(cli('diff').status).toBe(2);
    expect(cli('diff', 'a', 'b').stderr).toBe('node-ipvs: diff takes one FILE, got 2 (see node-ipvs diff --help)\n');
    expect(cli('apply', 'x.yaml', '--drain-timeout', '1.5').status).toBe(2);
  });

  it('a missing file is one line, exit 1', () => {
    const r = cli('diff', '/nonexistent/table.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^node-ipvs: ENOENT.*\/nonexistent\/table\.yaml'?\n$/);
  });
});
