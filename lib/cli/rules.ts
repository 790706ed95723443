/** `node-ipvs save` and `node-ipvs restore`: ipvsadm rules text out and in. */
import { readFileSync } from 'node:fs';
import { constants as os } from 'node:os';
import { IpvsPartialError } from '../errors';
import { parse, printJson, withClient, type Command } from './common';
import { parseRules } from '../rules/parse';
import type { RestoreLineResult, RestoreResult } from '../types';
import { failureReport } from './restore-report';

const SAVE_HELP = `usage: node-ipvs save [--no-thresholds] [--netns NAME]

Writes the table as rules text: the lines ipvsadm -S -n writes, plus -x/-y
thresholds (which ipvsadm -S drops; ipvsadm -R reads them). The output can be
read back by node-ipvs restore and by ipvsadm -R.

options:
  --no-thresholds  leave -x/-y out: exactly ipvsadm -S -n's lines
  --netns NAME     the table of network namespace NAME
`;

const RESTORE_HELP = `usage: node-ipvs restore [FILE] [--stop-on-error] [--json] [--netns NAME]

Applies rules text (ipvsadm -R's input: -A -E -D -a -e -d -C -Z lines, and
--set, --start-daemon, --stop-daemon) from FILE, or from standard input.
Every line is checked first: if any is bad, nothing is applied and each bad
line is reported. Then all lines are sent in batches; failures are reported
with their lines (failures alike once, with their count). Like ipvsadm -R,
restore does not clear the table first (put -C at the top for that).
Interrupted (Ctrl-C, SIGTERM), it finishes the batch in flight, sends no
more, and says how many lines were applied and where it stopped.

options:
  --stop-on-error  stop at the first line the kernel refuses (later lines are
                   skipped); slower, as lines then go one at a time
  --json           print every line's outcome as JSON
  --netns NAME     the table of network namespace NAME

Exit status: 0 when every line was applied, 1 otherwise; 130 (SIGINT) or
143 (SIGTERM) when interrupted.
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
  process.stderr.write(failureReport(result.lines));
  const parts = [`${result.applied} applied`, `${result.failed} failed`];
  if (result.unknown) parts.push(`${result.unknown} unknown`);
  if (result.skipped) parts.push(`${result.skipped} skipped`);
  process.stderr.write(`node-ipvs restore: ${parts.join(', ')}\n`);
}

/** A restore that stopped part-way: what took effect, and the line it stopped at. */
function reportCut(err: IpvsPartialError<RestoreLineResult>, signal: NodeJS.Signals | undefined): void {
  const lines = err.results;
  const stopped = lines.find((l) => l.status === 'unknown' || l.status === 'skipped');
  const done = lines.filter((l) => l.status !== 'skipped');
  process.stderr.write(failureReport(done));
  const why = signal ? 'interrupted' : `stopped (${err.cause instanceof Error ? err.cause.message : String(err.cause)})`;
  const unknown = err.unknown ? `, ${err.unknown} sent without an answer (may or may not be applied)` : '';
  const at = stopped ? `, stopped at line ${stopped.line}` : '';
  process.stderr.write(`node-ipvs restore: restore ${why}: ${err.applied} of ${lines.length} lines applied${unknown}${at}; ` +
    'the table now holds only part of the text\n');
}

function jsonLines(lines: readonly RestoreLineResult[]) {
  return lines.map((l) => ({ line: l.line, text: l.text, status: l.status, ...(l.error ? { code: l.error.code, error: l.error.message } : {}) }));
}

/**
 * SIGINT and SIGTERM abort the restore between two sends (the one in flight finishes, so its
 * outcome is known). Once: a second Ctrl-C ends the process the usual way.
 */
function abortOnSignals(): { controller: AbortController; received: () => NodeJS.Signals | undefined; release: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const on = (signal: NodeJS.Signals) => {
    received = signal;
    controller.abort(new Error(`received ${signal}`));
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return {
    controller,
    received: () => received,
    release: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

export const saveCommand: Command = {
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
  async run(args) {
    const p = parse(args, { 'stop-on-error': { type: 'boolean' }, json: { type: 'boolean' } }, RESTORE_HELP, true);
    if (!p) return 0;
    const file = p.positionals[0];
    const text = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
    // Parsed before the kernel is touched: a bad text fails the same way everywhere.
    const rules = parseRules(text);
    const signals = abortOnSignals();
    try {
      return await withClient(p.values, async (ipvs) => {
        const lines = rules.length;
        const bar = progressBar(lines);
        let result: RestoreResult;
        try {
          result = await ipvs.restore(rules, {
            stopOnError: Boolean(p.values['stop-on-error']),
            timeout: 600_000,
            signal: signals.controller.signal,
            ...(bar ? { onProgress: (done: number) => bar(done) } : {}),
          });
        } catch (err) {
          if (!(err instanceof IpvsPartialError)) throw err;
          if (bar) process.stderr.write('\n');
          const partial = err as IpvsPartialError<RestoreLineResult>;
          if (p.values.json) printJson(jsonLines(partial.results));
          const signal = signals.received();
          reportCut(partial, signal);
          return signal ? 128 + os.signals[signal] : 1;
        }
        if (p.values.json) printJson(jsonLines(result.lines));
        if (!result.ok) report(result);
        return result.ok ? 0 : 1;
      });
    } finally {
      signals.release();
    }
  },
};
