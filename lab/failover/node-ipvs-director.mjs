// node-ipvs's director agent as a failover director (`node-ipvs director CONFIG --netns NS`): its
// config written from the same model as keepalived.conf (lab/failover/keepalived-pair.mjs), so that
// the two pairs and the mixed one compare like with like.
import { join } from 'node:path';
import { AgentProcess } from '../agent.mjs';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/**
 * The agent's config for one director (the model of keepalivedVrrpConf, plus `sync`: a `vrrp.sync.mode`,
 * none for the default 'both'): the DR service (rr, the three real servers), VI_1 on eth0 (the VIP as a /32, interval =
 * advert_int), gratuitous ARPs as keepalived's conf says them (3 at once, 3 more a second later), the
 * sync daemon on eth0 with the model's sync id, following VI_1.
 */
export function nodeIpvsVrrpConfig(m, dir) {
  const preempt = m.preempt ? (m.preemptDelay ? `      preemptDelay: ${m.preemptDelay}s\n` : '') : '      preempt: false\n';
  return `# Written by the lab (lab/failover/node-ipvs-director.mjs) from the same model as keepalived.conf.
director:
  state: ${join(dir, 'director.json')}
  log: json
services:
  - service: tcp ${m.vip}:${m.port}
    scheduler: rr
    forwarding: route
    destinations:
${m.servers.map((s) => `      - server: ${s}`).join('\n')}
vrrp:
  instances:
    - name: VI_1
      interface: eth0
      vrid: ${m.vrid}
      priority: ${m.priority}
      interval: ${Math.round(m.advertSeconds * 1000)}ms
${preempt}      vips: [${m.vip}/32]
      garp: { repeat: 3, delay: 1s }
  sync:
    interface: eth0
    instance: VI_1
    syncId: ${m.syncId}
${m.sync ? `    mode: ${m.sync}\n` : ''}`;
}

/** One director agent in namespace `ns`, its files in `dir`; its log is JSON lines. */
export class NodeIpvsDirector extends AgentProcess {
  constructor(ns, dir) {
    const conf = join(dir, 'director.yaml');
    super('node-ipvs', conf, (model) => nodeIpvsVrrpConfig(model, dir), [process.execPath, CLI, 'director', conf, '--netns', ns, '--json']);
    this.ns = ns;
  }

  /** Its VRRP state as it last logged it: 'master', 'backup', 'fault', 'initialize' or null. */
  state() {
    return this.lastState()?.state ?? null;
  }

  /** The last state it logged and when the line was read: { state, t } or null. */
  lastState() {
    return this.states().at(-1) ?? null;
  }

  /** Every state it logged, in order, each with when its line was read: [{ state, t }]. */
  states() {
    const out = [];
    for (const { line, t } of this.log) {
      if (!line.startsWith('{')) continue;
      try {
        const r = JSON.parse(line);
        if (r.event === 'vrrp' && r.instance === 'VI_1' && r.to) out.push({ state: r.to, t });
      } catch { /* not a record */ }
    }
    return out;
  }

  /** Dies at once, as a crashed agent: SIGKILL. The VIP, the table and the kernel's sync daemons stay behind. */
  kill() {
    try { this.process.kill('SIGKILL'); } catch { /* gone */ }
    return this.exited;
  }
}
