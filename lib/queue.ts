/**
 * Runs a client's calls one at a time, in order. The native layer owns one
 * socket per client and one exchange at a time on it; queueing here keeps
 * thousands of concurrent calls cheap (no thread waits on a lock).
 *
 * A call's deadline runs while it waits here: one still queued when its
 * deadline passes is rejected at that moment, without being started.
 */
import type { Deadline } from './call';

interface Entry {
  start(): void;
  cancel(): void;
  /** Rejected already (its deadline passed while queued): skipped when its turn comes. */
  done: boolean;
}

export class SerialQueue {
  private readonly waiting: Entry[] = [];
  private running = false;
  private closed = false;
  /** Entries in `waiting` that are not done. */
  private live = 0;

  /**
   * Queues task; if the queue closes before it starts, rejects with cancelled(); if
   * deadline passes before it starts, rejects with expired() and never starts it.
   */
  run<T>(task: () => Promise<T>, cancelled: () => Error, deadline?: Deadline, expired?: () => Error): Promise<T> {
    if (this.closed) return Promise.reject(cancelled());
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const entry: Entry = {
        done: false,
        start: () => {
          entry.done = true;
          if (timer) clearTimeout(timer);
          task().then(resolve, reject).finally(() => this.next());
        },
        cancel: () => {
          entry.done = true;
          if (timer) clearTimeout(timer);
          reject(cancelled());
        },
      };
      this.waiting.push(entry);
      this.live++;
      if (!this.running) {
        this.next();
        return;
      }
      if (deadline && expired) {
        // Timers may fire a little early: rearm until the deadline has really passed.
        const expire = () => {
          if (entry.done) return;
          const rest = deadline.remaining();
          if (rest > 0) {
            timer = setTimeout(expire, Math.ceil(rest));
            return;
          }
          entry.done = true;
          this.live--;
          reject(expired());
        };
        timer = setTimeout(expire, Math.max(0, Math.ceil(deadline.remaining())));
      }
    });
  }

  /** Rejects every task that has not started; later run() calls reject at once. */
  close(): void {
    this.closed = true;
    this.live = 0;
    for (const entry of this.waiting.splice(0)) if (!entry.done) entry.cancel();
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls waiting or running (not those whose deadline passed while they waited). */
  get size(): number {
    return this.live + (this.running ? 1 : 0);
  }

  private next(): void {
    let entry = this.waiting.shift();
    while (entry?.done) entry = this.waiting.shift();
    this.running = entry !== undefined;
    if (entry) {
      this.live--;
      entry.start();
    }
  }
}
