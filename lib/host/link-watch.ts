/**
 * Link changes in a network namespace as the kernel announces them (native/link_watch.cc: a
 * rtnetlink socket in RTNLGRP_LINK, read on the event loop when readable). What tracks a link learns
 * of a lost carrier when it happens instead of at its next reading; 'overrun' says the kernel dropped
 * events for a full receive queue, and the links must be read again.
 */
import { native, type NativeLinkEvent, type NativeLinkWatch } from '../binding';
import { DEFAULT_TIMEOUT_MS, isNativeError } from '../call';
import { errnoName, IpvsHostError } from '../errors';
import { namespaceStage } from './sysctl';

export type LinkEvent = Readonly<NativeLinkEvent>;

/** What a link's state says for traffic: administratively up, a carrier, not removed. */
export const linkUsable = (e: LinkEvent): boolean => e.up && e.running && !e.removed;

export class LinkWatch {
  readonly #watch: NativeLinkWatch;
  readonly #listeners: ((event: LinkEvent | 'overrun') => void)[] = [];

  private constructor(watch: NativeLinkWatch) {
    this.#watch = watch;
  }

  /**
   * Starts receiving the link events of namespace `netns` (a path, as resolveNetns gives; null: this
   * process's). Rejects with IpvsHostError (errno kept) when the socket cannot be opened in time.
   */
  static async open(netns: string | null, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<LinkWatch> {
    const watch = new (native().LinkWatch)();
    const self = new LinkWatch(watch);
    try {
      await watch.open(netns, timeoutMs, (event) => {
        for (const l of self.#listeners) l(event);
      });
    } catch (err) {
      watch.close();
      if (!isNativeError(err)) throw err;
      const code = errnoName(err.errno);
      const what = netns ? `link events in ${netns}` : 'link events';
      throw new IpvsHostError(code, what, `watching ${what}: ${code}${namespaceStage(err) ?? ''}`);
    }
    return self;
  }

  on(listener: (event: LinkEvent | 'overrun') => void): void {
    this.#listeners.push(listener);
  }

  /** An open watch keeps the process alive; unref() lets it exit. */
  ref(): void {
    this.#watch.ref();
  }

  unref(): void {
    this.#watch.unref();
  }

  close(): void {
    this.#listeners.length = 0;
    this.#watch.close();
  }
}
