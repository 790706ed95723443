/**
 * The sandbox kernel keeps each task's vector registers its own (native/sandbox/uml_xstate.c lets
 * UML 6.1 restore them on hosts with AMX, where it otherwise panics at its first context switch).
 * Two threads of one process hold different patterns in ymm15 and zmm16 while yielding to each
 * other 20,000 times each: under UML they share one host process, so every switch goes through
 * UML's save and restore.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('sandbox kernel FPU state', () => {
  it('two threads keep their own ymm and zmm registers across 40,000 switches', () => {
    expect(process.env.NODE_IPVS_SANDBOX).toBe('1');
    const exe = join(mkdtempSync(join(tmpdir(), 'fpu-')), 'fpu-threads');
    const cc = spawnSync('gcc', ['-O2', '-pthread', '-o', exe, join(__dirname, '..', 'fixtures', 'fpu-threads.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const run = spawnSync(exe, { encoding: 'utf8', timeout: 50_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ymm 0 zmm (0|-)\n$/);
  });
});
