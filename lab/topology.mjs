// Lab plumbing: network namespaces joined by veth pairs to bridges in a
// switch namespace. iproute2 is allowed here (topology only); everything the
// library offers (IPVS, VIPs, sysctls) is done with the library.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export const sh = (...argv) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
export const inNs = (ns, ...argv) => sh('ip', 'netns', 'exec', ns, ...argv);

export class Topology {
  constructor(prefix) {
    this.prefix = prefix;
    this.namespaces = [];
    this.processes = [];
    this.switch = this.ns('sw');
  }

  /** A namespace with lo up; its name is returned. */
  ns(role) {
    const name = `${this.prefix}-${role}`;
    sh('ip', 'netns', 'add', name);
    inNs(name, 'ip', 'link', 'set', 'lo', 'up');
    this.namespaces.push(name);
    return name;
  }

  bridge(name) {
    inNs(this.switch, 'ip', 'link', 'add', name, 'type', 'bridge');
    inNs(this.switch, 'ip', 'link', 'set', name, 'up');
  }

  /**
   * Connects ns to a bridge: the device is `dev` inside ns, with the given address/prefix.
   * IPv6 addresses skip duplicate address detection, so they work at once.
   */
  plug(ns, dev, bridge, cidr) {
    const peer = `${ns.slice(-6)}-${dev}`.slice(0, 15);
    sh('ip', 'link', 'add', dev, 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', this.switch);
    inNs(this.switch, 'ip', 'link', 'set', peer, 'master', bridge);
    inNs(this.switch, 'ip', 'link', 'set', peer, 'up');
    if (cidr) inNs(ns, 'ip', 'addr', 'add', cidr, 'dev', dev, ...(cidr.includes(':') ? ['nodad'] : []));
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
  }

  mac(ns, dev) {
    return inNs(ns, 'cat', `/sys/class/net/${dev}/address`).trim();
  }

  /** Starts the lab's HTTP server in ns (on each port, if `port` is an array) and waits until it listens. */
  async server(ns, name, port) {
    const ports = [port].flat().join(',');
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, new URL('server.mjs', import.meta.url).pathname, name, ports], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.processes.push(p);
    await once(p.stdout, 'data');
  }

  /**
   * COUNT requests from ns to url, one connection each; from client port `port` if given. `url`
   * may be an array: COUNT requests to each, taking turns; each answer then ends with its url.
   */
  requests(ns, url, count, port) {
    const args = [[url].flat().join(' '), String(count), ...(port ? [String(port)] : [])];
    return JSON.parse(inNs(ns, process.execPath, new URL('client.mjs', import.meta.url).pathname, ...args));
  }

  /**
   * COUNT connections from ns to url kept open: { servers, release() }. With `echo`, also
   * ping(): sends a line through each and resolves the server that answered on each (null: none).
   */
  async hold(ns, url, count, { echo = false } = {}) {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, new URL('hold.mjs', import.meta.url).pathname, url, String(count), ...(echo ? ['echo'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.processes.push(p);
    const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error(`lab/hold.mjs exited with status ${p.exitCode}`);
      return JSON.parse(value);
    };
    const servers = await next();
    const exited = p.exitCode !== null ? Promise.resolve() : once(p, 'exit');
    return {
      servers,
      ping: async () => { p.stdin.write('ping\n'); return next(); },
      release: async () => { p.stdin.end(); await exited; },
    };
  }

  /** ns's neighbour entry for address ('' if none), as `ip neigh show` prints it. */
  neighbour(ns, address) {
    return inNs(ns, 'ip', address.includes(':') ? '-6' : '-4', 'neigh', 'show', address).trim();
  }

  /** The MACs that answer one ARP request for target sent out of ns's dev. */
  arpAnswers(ns, dev, target) {
    return inNs(ns, 'python3', new URL('arp-probe.py', import.meta.url).pathname, dev, target).split('\n').filter(Boolean);
  }

  destroy() {
    for (const p of this.processes) p.kill();
    for (const n of this.namespaces.reverse()) sh('ip', 'netns', 'delete', n);
  }
}
