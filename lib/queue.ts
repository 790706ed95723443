/**
 * Runs a client's calls one at a time, in order. The native layer owns one
 * socket per client and one exchange at a time on it; queueing here keeps
 * thousands of concurrent calls cheap (no thread waits on a lock).
 */
interface Entry {
  start(): void;
  cancel(): void;
}

export class SerialQueue {
  private readonly waiting: Entry[] = [];
  private running = false;
  private closed = false;

  /** Queues task; if the queue closes before it starts, rejects with cancelled(). */
  run<T>(task: () => Promise<T>, cancelled: () => Error): Promise<T> {
    if (this.closed) return Promise.reject(cancelled());
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        start: () => {
          task().then(resolve, reject).finally(() => this.next());
        },
        cancel: () => reject(cancelled()),
      });
      if (!this.running) this.next();
    });
  }

  /** Rejects every task that has not started; later run() calls reject at once. */
  close(): void {
    this.closed = true;
    for (const entry of this.waiting.splice(0)) entry.cancel();
  }

  get size(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  private next(): void {
    const entry = this.waiting.shift();
    this.running = entry !== undefined;
    entry?.start();
  }
}
