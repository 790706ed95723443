/** `node-ipvs save` and `node-ipvs restore`: ipvsadm rules text out and in. */
import { readFileSync } from 'node:fs';
import { parse, printJson, withClient, type Command } from './common';
import { parseRules } from '../rules/parse';
import type { RestoreResult } from '../types';

const SAVE_HELP = `usage: node-ipvs save [--no-thresholds] [--netns NAME]

Writes the table as rules text: the lines ipvsadm -S -n writes, plus -x/-y
thresholds (which ipvsadm -S drops; ipvsadm -R reads them). The output can be
read back by node-ipvs restore and by ipvsadm -R.

options:
  --no-thresholds  leave -x/-y out: exactly ipvsadm -S -n's lines
  --netns NAME     the table of network namespace NAME
`;

const RESTORE_HELP = `usage: node-ipvs restore [FILE] [--stop-on-error] [--json] [--netns NAME]

Applies rules text (ipvsadm -R's input: -A -E -D -a -e -d -C -Z lines) from
FILE, or from standard input. Every line is checked first: if any is bad,
nothing is applied and each bad line is reported. Then all lines are sent in
batches; each failure is reported with its line. Like ipvsadm -R, restore
does not clear the table first (put -C at the top of the text for that).

options:
  --stop-on-error  stop at the first line the kernel refuses (later lines are
                   skipped); slower, as lines then go one at a time
  --json           print every line's outcome as JSON
  --netns NAME     the table of network namespace NAME

Exit status: 0 when every line was applied, 1 otherwise.
`;

/** A progress bar on standard error, only for big restores to a terminal. */
function progressBar(total: number): ((done: number) => void) | undefined {
  if (!process.stderr.isTTY || total < 5000) return undefined;
  return (done) => {
    const width = 40;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} lines`);
    if (done === total) process.stderr.write('\n');
  };
}

function report(result: RestoreResult): void {
  for (const l of result.lines) {
    if (l.status === 'applied') continue;
    const why = l.status === 'skipped' ? 'skipped (an earlier line failed)' : l.error?.message ?? l.status;
    process.stderr.write(`line ${l.line}: ${l.text.trim()}: ${why}\n`);
  }
  const parts = [`${result.applied} applied`, `${result.failed} failed`];
  if (result.unknown) parts.push(`${result.unknown} unknown`);
  if (result.skipped) parts.push(`${result.skipped} skipped`);
  process.stderr.write(`node-ipvs restore: ${parts.join(', ')}\n`);
}

export const saveCommand: Command = {
  summary: 'write the table as rules text (ipvsadm -S -n)',
  async run(args) {
    const p = parse(args, { 'no-thresholds': { type: 'boolean' } }, SAVE_HELP);
    if (!p) return 0;
    return withClient(p.values, async (ipvs) => {
      process.stdout.write(await ipvs.save({ thresholds: !p.values['no-thresholds'], timeout: 600_000 }));
      return 0;
    });
  },
};

export const restoreCommand: Command = {
  summary: 'apply rules text from a file or standard input (ipvsadm -R)',
  async run(args) {
    const p = parse(args, { 'stop-on-error': { type: 'boolean' }, json: { type: 'boolean' } }, RESTORE_HELP, true);
    if (!p) return 0;
    const file = p.positionals[0];
    const text = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
    // Parsed before the kernel is touched: a bad text fails the same way everywhere.
    const rules = parseRules(text);
    return withClient(p.values, async (ipvs) => {
      const lines = rules.length;
      const bar = progressBar(lines);
      const result = await ipvs.restore(rules, {
        stopOnError: Boolean(p.values['stop-on-error']),
        timeout: 600_000,
        ...(bar ? { onProgress: (done: number) => bar(done) } : {}),
      });
      if (p.values.json) {
        printJson(result.lines.map((l) => ({ line: l.line, text: l.text, status: l.status, ...(l.error ? { code: l.error.code, error: l.error.message } : {}) })));
      }
      if (!result.ok) report(result);
      return result.ok ? 0 : 1;
    });
  },
};
