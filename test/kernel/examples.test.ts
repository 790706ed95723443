/**
 * The README's main example runs as written (issue 8 item 15): compiled from
 * the README, run by node as a user's ES module importing 'node-ipvs', in a
 * fresh namespace; the kernel then holds what the example says it made, and
 * the output lines its comments announce are printed.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAsync } from '../helpers/child';
import { TestNamespace, requireIpvs } from '../helpers/kernel';
import { docExamples, userProject } from '../helpers/doc-examples';

const dir = userProject('node-ipvs-readme-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README example', () => {
  it('runs in a fresh namespace and leaves in the kernel what it says', async () => {
    await requireIpvs();
    const example = docExamples()[0]!;
    expect(example.where).toMatch(/^README\.md:/);
    // The example names its namespace 'lb': give it a fresh one instead.
    expect(example.code).toContain("netns: 'lb'");
    const ns = new TestNamespace('readme');
    try {
      const code = example.code.replace("netns: 'lb'", `netns: '${ns.name}'`);
      const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      writeFileSync(join(dir, 'example.mjs'), js);
      const r = await spawnAsync('node', ['example.mjs'], { cwd: dir, timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);

      expect(ns.saved()).toEqual([
        '-A -t 192.0.2.10:80 -s wrr -p 600',
        '-a -t 192.0.2.10:80 -r 198.51.100.11:80 -m -w 2',
        '-a -t 192.0.2.10:80 -r 198.51.100.12:80 -m -w 1',
      ].sort());
      // Every `console.log(...);   // TEXT` line of the example announces an output line.
      const announced = [...example.code.matchAll(/console\.log\(.*\);\s*\/\/ (.+)$/gm)].map((m) => m[1]!.trim());
      expect(announced.length).toBeGreaterThan(0);
      const printed = r.stdout.split('\n');
      for (const line of announced) expect(printed).toContain(line);
    } finally {
      ns.delete();
    }
  });
});
