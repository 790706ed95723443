/**
 * One apply at a time, bursts coalesced: a request while an apply runs waits for one more apply
 * after it, shared by every request made meanwhile (ten transitions in a second are two applies,
 * not ten). Each request's promise is the apply that will see it.
 *
 * A request may pre-empt the apply under way (a health change does not wait behind a resync): that
 * apply's signal is aborted, its reasons join the next apply, and its requesters get that apply's
 * result. An apply stops only where nothing is half-done (apply's `signal`); one past that point
 * ends as usual and the next apply follows it.
 */
export class Serial<R, T> {
  private running: { settled: Promise<void>; reasons: R[]; controller: AbortController; successor?: Promise<T> } | null = null;
  private queued: { promise: Promise<T>; reasons: R[] } | null = null;

  constructor(private readonly run: (reasons: R[], signal: AbortSignal) => Promise<T>) {}

  /**
   * One reason, or several that arrived together (one apply for all of them). `preempt` is asked
   * with the running apply's reasons: true aborts it in favour of the next.
   */
  request(reason: R | readonly R[], preempt?: (running: readonly R[]) => boolean): Promise<T> {
    const given = Array.isArray(reason) ? [...new Set(reason as readonly R[])] : [reason as R];
    const running = this.running;
    if (!running) return this.start(given);
    const promise = this.enqueue(given);
    if (preempt?.(running.reasons) && !running.controller.signal.aborted) {
      running.successor = this.enqueue(running.reasons);
      running.controller.abort(new Error(`pre-empted by ${given.join(', ')}`));
    }
    return promise;
  }

  /** Resolves once nothing runs or waits (failures are the requesters' to see). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued?.promise ?? this.running!.settled).then(() => undefined, () => undefined);
  }

  /** The apply after the running one, with these reasons added. */
  private enqueue(reasons: readonly R[]): Promise<T> {
    if (this.queued) {
      for (const r of reasons) if (!this.queued.reasons.includes(r)) this.queued.reasons.push(r);
      return this.queued.promise;
    }
    const queued = { reasons: [...reasons], promise: null as unknown as Promise<T> };
    queued.promise = this.running!.settled.then(() => {
      this.queued = null;
      return this.start(queued.reasons);
    });
    this.queued = queued;
    return queued.promise;
  }

  private start(reasons: R[]): Promise<T> {
    const controller = new AbortController();
    const p = this.run(reasons, controller.signal);
    const settled = p.then(() => undefined, () => undefined);
    const running: NonNullable<typeof this.running> = { settled, reasons, controller };
    this.running = running;
    void settled.then(() => {
      if (this.running === running) this.running = null;
    });
    // Stopped for a pre-empting request: its requesters get the apply that took its reasons over.
    return p.catch((err) => {
      if (!running.successor) throw err;
      return running.successor;
    });
  }
}
