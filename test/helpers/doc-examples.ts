/**
 * The code examples and config files of README.md and docs/**.md, and a project directory in
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

function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md')).sort().map((f) => join('docs', f))];
}

/** Every ```ts/```js block (and their long names) in README.md and docs/, in file order. */
export function docExamples(): DocExample[] {
  const examples: DocExample[] = [];
  for (const file of docFiles()) {
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

export interface DocConfig {
  /** Where it is, e.g. "docs/guides/nat.md:40" (the fence's line). */
  where: string;
  lang: 'yaml' | 'json';
  text: string;
  /** The file of docs/examples/ its first line names (`# docs/examples/nat.yaml`), if any. */
  file: string | null;
}

/** Every ```yaml and ```json block of README.md and docs/: config files shown to a reader. */
export function docConfigs(): DocConfig[] {
  const out: DocConfig[] = [];
  for (const file of docFiles()) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const lang = /^```(yaml|json)\s*$/.exec(lines[i]!)?.[1] as DocConfig['lang'] | undefined;
      if (!lang) continue;
      const end = lines.indexOf('```', i + 1);
      if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
      const text = lines.slice(i + 1, end).join('\n') + '\n';
      // Another program's file shown beside ours (Prometheus's scrape config, a keepalived.conf) says so on its first line.
      if (/^# \S+ \(\S+'s configuration, not node-ipvs's\)$/.test(lines[i + 1] ?? '')) { i = end; continue; }
      out.push({ where: `${file}:${i + 1}`, lang, text, file: /^# docs\/examples\/(\S+)$/.exec(lines[i + 1] ?? '')?.[1] ?? null });
      i = end;
    }
  }
  return out;
}

/** A fresh directory whose node_modules/node-ipvs is this tree. */
export function userProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'node-ipvs'));
  return dir;
}
