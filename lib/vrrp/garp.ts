/**
 * Gratuitous ARP / unsolicited NA after becoming master, as keepalived's garp_master_* settings
 * schedule them: a burst at once, a second burst after `delay` (switches that missed the first
 * learn the new port), then a burst every `refresh` while master. One announce() sends one message
 * per virtual address; the messages of a burst are `interval` apart. stop() cancels what is left.
 */
import type { VrrpClock } from './clock';
import type { GarpSettings } from './options';

export class GarpSchedule {
  private readonly timers = new Set<unknown>();
  /** Bumped by start() and stop(): a burst of an earlier term stops at its next step. */
  private term = 0;

  constructor(
    private readonly clock: VrrpClock,
    private readonly settings: GarpSettings,
    /** Never rejects (the machine counts and reports its failures). */
    private readonly announce: () => Promise<void>,
  ) {}

  /** Resolves once the first message has been sent (or failed): what waits for the neighbours to be told. */
  start(): Promise<void> {
    const term = this.restart();
    const { repeat, delay, refresh, refreshRepeat } = this.settings;
    const first = this.burst(term, repeat);
    if (delay > 0) this.after(term, delay, () => this.burst(term, repeat));
    if (refresh > 0) {
      const again = (): void => {
        this.burst(term, refreshRepeat);
        this.after(term, refresh, again);
      };
      this.after(term, refresh, again);
    }
    return first;
  }

  stop(): void {
    this.restart();
  }

  private restart(): number {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    return ++this.term;
  }

  /** Resolves when the burst's first message is done. */
  private burst(term: number, count: number): Promise<void> {
    let sent = 0;
    let first: Promise<void> = Promise.resolve();
    const next = (): void => {
      if (term !== this.term || sent >= count) return;
      sent++;
      const sending = this.announce();
      if (sent === 1) first = sending;
      void sending.then(() => {
        if (sent >= count) return;
        if (this.settings.interval > 0) this.after(term, this.settings.interval, next);
        else next();
      });
    };
    next();
    return first;
  }

  private after(term: number, ms: number, fn: () => void): void {
    if (term !== this.term) return;
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (term === this.term) fn();
    }, ms);
    this.timers.add(handle);
  }
}
