/**
 * MISC_CHECK: a program run without a shell, `{address}` and `{port}` replaced in its arguments.
 * Exit 0 is up, 1 down; with dynamicWeight, 2-255 is up at weight code-2 (keepalived's
 * misc_dynamic). It runs in a process group of its own so a timeout or an abort kills everything
 * it started, not just the first process; its output is read and dropped so it never blocks on a
 * full pipe.
 */
import { spawn } from 'node:child_process';
import type { Checker, CheckOutcome, CheckTarget, ExecCheckSettings } from '../types';
import { bounded, errorCode } from './attempt';

export function execChecker(settings: ExecCheckSettings): Checker {
  return {
    check: (target, timeoutMs, signal) =>
      bounded(timeoutMs, signal, (inner) => run(settings, target, inner), () => ({ ok: false, reason: `killed after ${timeoutMs} ms` })),
  };
}

function substitute(arg: string, target: CheckTarget): string {
  return arg.replace(/\{(address|port)\}/g, (_m, name: string) => (name === 'address' ? target.address : String(target.port)));
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already.
  }
}

function run(settings: ExecCheckSettings, target: CheckTarget, signal: AbortSignal): Promise<CheckOutcome> {
  const [program, ...args] = settings.command.map((a) => substitute(a, target));
  return new Promise((resolve) => {
    const child = spawn(program, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    child.stdout.resume();
    child.stderr.resume();
    const onAbort = (): void => killGroup(child.pid);
    signal.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const end = (outcome: CheckOutcome): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      // Whatever the program left behind in its group goes with it.
      killGroup(child.pid);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(outcome);
    };
    child.once('error', (err) => end({ ok: false, reason: `spawn ${errorCode(err)}` }));
    child.once('exit', (code, sig) => end(exitOutcome(code, sig, settings.dynamicWeight === true)));
  });
}

export function exitOutcome(code: number | null, sig: NodeJS.Signals | null, dynamicWeight: boolean): CheckOutcome {
  if (code === null) return { ok: false, reason: `killed by ${sig ?? 'a signal'}` };
  if (code === 0) return { ok: true, reason: 'exit 0' };
  if (code >= 2 && dynamicWeight) return { ok: true, reason: `exit ${code} (weight ${code - 2})`, weight: code - 2 };
  return { ok: false, reason: `exit ${code}` };
}
