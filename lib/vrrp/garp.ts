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

  start(): void {
    const term = this.restart();
    const { repeat, delay, refresh, refreshRepeat } = this.settings;
    this.burst(term, repeat);
    if (delay > 0) this.after(term, delay, () => this.burst(term, repeat));
    if (refresh > 0) {
      const again = (): void => {
        this.burst(term, refreshRepeat);
        this.after(term, refresh, again);
      };
      this.after(term, refresh, again);
    }
  }

  stop(): void {
    this.restart();
  }

  private restart(): number {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    return ++this.term;
  }

  private burst(term: number, count: number): void {
    let sent = 0;
    const next = (): void => {
      if (term !== this.term || sent >= count) return;
      sent++;
      void this.announce().then(() => {
        if (sent >= count) return;
        if (this.settings.interval > 0) this.after(term, this.settings.interval, next);
        else next();
      });
    };
    next();
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
