/**
 * LinkWatch (native/link_watch.cc) on a real kernel: the events of a namespace's links as `ip link`
 * changes them, in that namespace only, and nothing after close().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpvsHostError } from '../../lib/errors';
import { LinkWatch, linkUsable, type LinkEvent } from '../../lib/host/link-watch';
import { NETNS_DIR } from '../../lib/netns';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

let ns: TestNamespace;
let other: TestNamespace;

beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('lw');
  other = new TestNamespace('lwo');
  ns.exec('ip', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  other.exec('ip', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
});

afterAll(() => {
  ns?.delete();
  other?.delete();
});

/** Collects events until one matches, or fails after ms. */
function collector(watch: LinkWatch) {
  const seen: (LinkEvent | 'overrun')[] = [];
  watch.on((e) => seen.push(e));
  const next = async (match: (e: LinkEvent) => boolean, ms = 10_000): Promise<LinkEvent> => {
    const end = Date.now() + ms;
    for (;;) {
      const found = seen.find((e): e is LinkEvent => e !== 'overrun' && match(e));
      if (found) return found;
      if (Date.now() > end) throw new Error(`no matching link event in ${ms} ms; seen: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { seen, next };
}

describe('LinkWatch', () => {
  it("reports its namespace's links as they change (carrier, admin state, removal), not another namespace's", async () => {
    const watch = await LinkWatch.open(`${NETNS_DIR}/${ns.name}`);
    try {
      const { seen, next } = collector(watch);
      other.exec('ip', 'link', 'set', 'va', 'up');
      ns.exec('ip', 'link', 'set', 'va', 'up');
      // va up while vb is down: administratively up, no carrier.
      const upNoCarrier = await next((e) => e.name === 'va' && e.up);
      expect(linkUsable(upNoCarrier)).toBe(false);
      ns.exec('ip', 'link', 'set', 'vb', 'up');
      const carrier = await next((e) => e.name === 'va' && e.up && e.running);
      expect(linkUsable(carrier)).toBe(true);
      expect(carrier.index).toBe(Number(ns.exec('cat', '/sys/class/net/va/ifindex').trim()));
      seen.length = 0;
      // The other namespace's va gets its carrier; here va loses it. Only the loss is reported.
      other.exec('ip', 'link', 'set', 'vb', 'up');
      ns.exec('ip', 'link', 'set', 'vb', 'down');
      expect(linkUsable(await next((e) => e.name === 'va' && e.up && !e.running))).toBe(false);
      ns.exec('ip', 'link', 'del', 'va');
      expect(await next((e) => e.name === 'va' && e.removed)).toMatchObject({ removed: true });
      expect(seen.filter((e) => e !== 'overrun' && e.name === 'va' && e.running)).toEqual([]);
    } finally {
      watch.close();
    }
  });

  it('close() ends the events; a namespace that is not there is refused with its errno', async () => {
    const watch = await LinkWatch.open(`${NETNS_DIR}/${other.name}`);
    const { seen } = collector(watch);
    watch.close();
    watch.close();
    other.exec('ip', 'link', 'set', 'vb', 'down');
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual([]);
    const err = await LinkWatch.open(`${NETNS_DIR}/no-such-namespace`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsHostError);
    expect(err).toMatchObject({ code: 'ENOENT' });
  });
});
