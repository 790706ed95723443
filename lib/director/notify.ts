/**
 * keepalived's notify_up / notify_down (and quorum_up / quorum_down): a program run on a
 * transition, without a shell, with the server, the service and the new state as its last
 * arguments. Bounded: killed after HOOK_TIMEOUT_MS, at most MAX_RUNNING at once (a flapping
 * cluster does not fork without end). A hook's failure is the log's, never the agent's.
 */
import { spawn } from 'node:child_process';

export const HOOK_TIMEOUT_MS = 10_000;
export const MAX_RUNNING = 16;

export interface HookOutcome {
  ok: boolean;
  /** "exit 3", "killed after 10000 ms", "spawn ENOENT", "skipped: 16 hooks running". */
  reason: string;
}

let running = 0;

export function runHook(command: readonly string[], args: readonly string[], timeoutMs = HOOK_TIMEOUT_MS): Promise<HookOutcome> {
  if (running >= MAX_RUNNING) return Promise.resolve({ ok: false, reason: `skipped: ${MAX_RUNNING} hooks running` });
  running++;
  return new Promise<HookOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: HookOutcome) => {
      if (done) return;
      done = true;
      running--;
      clearTimeout(timer);
      resolve(outcome);
    };
    // detached: its own process group, so a hook's children are killed with it at the deadline.
    const child = spawn(command[0], [...command.slice(1), ...args], { stdio: 'ignore', shell: false, detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      finish({ ok: false, reason: `killed after ${timeoutMs} ms` });
    }, timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: `spawn ${err.code ?? err.message}` }));
    child.on('exit', (code, signal) => finish(code === 0 ? { ok: true, reason: 'exit 0' } : { ok: false, reason: signal ? `signal ${signal}` : `exit ${code}` }));
  });
}
