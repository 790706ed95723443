/**
 * Live sandbox kernels of this process. A guest runs in a process group of its own
 * (so that all of UML's helper processes die together), which also means the
 * terminal's Ctrl-C does not reach it and it would outlive this process: a
 * kernel spinning on with nobody to read it. So while any guest lives, this
 * process kills them all when it exits or is told to stop (SIGINT, SIGTERM,
 * SIGHUP), then lets the signal do what it would have done.
 */
const groups = new Set<number>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function kill(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch { /* already gone */ }
}

function killAll(): void {
  for (const pgid of groups) kill(pgid);
  groups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  stopWatching();
  // Default behaviour again, unless the program has handlers of its own for it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function stopWatching(): void {
  process.off('exit', killAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers a guest's process group; returns the function that kills it and forgets it. */
export function trackGuest(pgid: number): () => void {
  if (groups.size === 0) {
    process.on('exit', killAll);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  groups.add(pgid);
  return () => {
    kill(pgid);
    if (groups.delete(pgid) && groups.size === 0) stopWatching();
  };
}
