/**
 * Child processes for tests, run asynchronously. A test worker must never block its
 * event loop for long: vitest's worker answers the runner over RPC with a 60 s
 * deadline, and inside the one-CPU sandbox a synchronous child (a CLI run, a listing
 * of thousands of services) can take that long when the machine is busy. So tests
 * await children; spawnSync is for instant commands only.
 */
import { spawn } from 'node:child_process';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the child (SIGTERM) after this many milliseconds. */
  timeout?: number;
}

/** spawnSync's result shape, without blocking: resolves when the child has exited and its output is read. */
export function spawnAsync(cmd: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = options.timeout === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeout);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    // A child that exits before reading all its input is not an error of the test's.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
