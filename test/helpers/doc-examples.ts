/**
 * The code examples of README.md and docs/**.md, and a project directory in
 * which `import … from 'node-ipvs'` resolves to this tree as a user's would
 * (through package.json's exports, to the built dist/).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface DocExample {
  /** Where it is, e.g. "README.md:17" (the fence's line). */
  where: string;
  lang: 'ts' | 'js';
  code: string;
}

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', mjs: 'js' };

/** Every ```ts/```js block (and their long names) in README.md and docs/, in file order. */
export function docExamples(): DocExample[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md')).sort().map((f) => join('docs', f))];
  const examples: DocExample[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const lang = LANGS[/^```(\w+)\s*$/.exec(lines[i]!)?.[1] ?? ''];
      if (!lang) continue;
      const end = lines.indexOf('```', i + 1);
      if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
      examples.push({ where: `${file}:${i + 1}`, lang, code: lines.slice(i + 1, end).join('\n') + '\n' });
      i = end;
    }
  }
  return examples;
}

/** A fresh directory whose node_modules/node-ipvs is this tree. */
export function userProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'node-ipvs'));
  return dir;
}
