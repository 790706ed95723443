/**
 * MISC_CHECK: a program run without a shell, `{address}` and `{port}` replaced in its arguments.
 * Exit 0 is up, 1 down; with dynamicWeight, 2-255 is up at weight code-2 (keepalived's
 * misc_dynamic). It runs in a process group of its own so a timeout or an abort kills everything
 * it started, not just the first process; its output is read and dropped so it never blocks on a
 * full pipe.
 */
import { spawn } from 'node:child_process';
import type { CheckOutcome, CheckTarget, ExecCheckSettings } from '../types';
import { errorCode, timedAttempt, type Probe } from './attempt';

export function execProbe(settings: ExecCheckSettings): Probe {
  return {
    start: (target, timeoutMs, done) =>
      timedAttempt(timeoutMs, done, () => ({ ok: false, reason: `killed after ${timeoutMs} ms` }), (finish) => run(settings, target, finish)),
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

/** Starts the program; `finish` gets its outcome when it exits. Returns how to kill it early. */
function run(settings: ExecCheckSettings, target: CheckTarget, finish: (outcome: CheckOutcome) => void): () => void {
  const [program, ...args] = settings.command.map((a) => substitute(a, target));
  const child = spawn(program, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  child.stdout.resume();
  child.stderr.resume();
  let ended = false;
  const end = (outcome: CheckOutcome): void => {
    if (ended) return;
    ended = true;
    // Whatever the program left behind in its group goes with it.
    killGroup(child.pid);
    child.stdout.destroy();
    child.stderr.destroy();
    finish(outcome);
  };
  child.once('error', (err) => end({ ok: false, reason: `spawn ${errorCode(err)}` }));
  child.once('exit', (code, sig) => end(exitOutcome(code, sig, settings.dynamicWeight === true)));
  return () => killGroup(child.pid);
}

export function exitOutcome(code: number | null, sig: NodeJS.Signals | null, dynamicWeight: boolean): CheckOutcome {
  if (code === null) return { ok: false, reason: `killed by ${sig ?? 'a signal'}` };
  if (code === 0) return { ok: true, reason: 'exit 0' };
  if (code >= 2 && dynamicWeight) return { ok: true, reason: `exit ${code} (weight ${code - 2})`, weight: code - 2 };
  return { ok: false, reason: `exit ${code}` };
}
