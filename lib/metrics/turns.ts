/**
 * Each metric's fill and formatting in an event-loop turn of its own. A big table (4,000 real servers
 * are some 70,000 series) takes a second of JavaScript to render, and prom-client renders every
 * metric in one go once the reading is there: done in one turn, that second would stall the health
 * checks and the director's timers. Taking turns, the longest stall is one metric's share.
 */
export class Turns {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves in a later turn of the event loop than the previous caller's, in the order called. */
  next(): Promise<void> {
    const mine = this.#tail.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.#tail = mine;
    return mine;
  }
}
