/**
 * One apply at a time, bursts coalesced: a request while an apply runs waits for one more apply
 * after it, shared by every request made meanwhile (ten transitions in a second are two applies,
 * not ten). Each request's promise is the apply that will see it.
 */
export class Serial<R, T> {
  private running: Promise<T> | null = null;
  private queued: { promise: Promise<T>; reasons: R[] } | null = null;

  constructor(private readonly run: (reasons: R[]) => Promise<T>) {}

  /** One reason, or several that arrived together (one apply for all of them). */
  request(reason: R | readonly R[]): Promise<T> {
    const given = Array.isArray(reason) ? [...new Set(reason as readonly R[])] : [reason as R];
    if (!this.running) return this.start(given);
    if (this.queued) {
      for (const r of given) if (!this.queued.reasons.includes(r)) this.queued.reasons.push(r);
      return this.queued.promise;
    }
    const reasons = given;
    const after = this.running.then(() => undefined, () => undefined);
    const promise = after.then(() => {
      this.queued = null;
      return this.start(reasons);
    });
    this.queued = { promise, reasons };
    return promise;
  }

  /** Resolves once nothing runs or waits (failures are the requesters' to see). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued?.promise ?? this.running)!.then(() => undefined, () => undefined);
  }

  private start(reasons: R[]): Promise<T> {
    const p = this.run(reasons);
    this.running = p;
    const clear = () => {
      if (this.running === p) this.running = null;
    };
    p.then(clear, clear);
    return p;
  }
}
