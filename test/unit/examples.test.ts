/**
 * Every TypeScript/JavaScript example in README.md and docs/ compiles under
 * `strict` against the package's published types, each as a module of its own
 * as a user would paste it (issue 8 item 15). The kernel suite runs the
 * README's main example (test/kernel/examples.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, docExamples, userProject } from '../helpers/doc-examples';

const dir = userProject('node-ipvs-examples-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('documentation examples', () => {
  const examples = docExamples();

  it('finds the README example among them', () => {
    expect(examples[0]?.where).toMatch(/^README\.md:\d+$/);
    expect(examples[0]?.code).toContain("from 'node-ipvs'");
  });

  it('each compiles under tsc --strict against the built package types', () => {
    // One file per example, named after where it lives, so errors say which.
    const names = examples.map((e) => {
      const name = `${e.where.replace(/[^\w]+/g, '_')}.${e.lang === 'ts' ? 'mts' : 'mjs'}`;
      writeFileSync(join(dir, name), e.code);
      return name;
    });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
        allowJs: true, checkJs: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: names,
    }));
    const r = spawnSync('node', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
