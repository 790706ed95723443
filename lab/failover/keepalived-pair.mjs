// keepalived as a failover director (Debian's package: VRRP, the LVS table and the sync daemon),
// the reference the node-ipvs directors are compared with and interoperate with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from '../agent.mjs';

/**
 * keepalived.conf for one director. `model`: { name, priority, preempt, preemptDelay (s),
 * advertSeconds, vrid, syncId, vip, port, servers: [address] }. VRRPv3; the VIP as a /32 on eth0;
 * lvs_sync_daemon ties the kernel's sync daemon to the instance (master daemon on the master,
 * backup daemon on the backup); gratuitous ARPs: 3 at once, 3 more a second later.
 */
export function keepalivedVrrpConf(m) {
  const preempt = m.preempt ? (m.preemptDelay ? `  preempt_delay ${m.preemptDelay}\n` : '') : '  nopreempt\n';
  return `# Written by the lab (lab/failover/keepalived-pair.mjs).
global_defs {
  router_id ${m.name}
  vrrp_version 3
  lvs_sync_daemon eth0 VI_1 id ${m.syncId}
  vrrp_garp_master_repeat 3
  vrrp_garp_master_delay 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id ${m.vrid}
  priority ${m.priority}
  advert_int ${m.advertSeconds}
${preempt}  virtual_ipaddress {
    ${m.vip}/32 dev eth0
  }
}
virtual_server ${m.vip} ${m.port} {
  lb_algo rr
  lb_kind DR
  protocol TCP
${m.servers.map((s) => `  real_server ${s} ${m.port} {\n    weight 1\n  }`).join('\n')}
}
`;
}

/** One keepalived director in namespace `ns` (VRRP and LVS), its files in `dir`. */
export class KeepalivedDirector extends AgentProcess {
  constructor(ns, dir) {
    const conf = join(dir, 'keepalived.conf');
    super('keepalived', conf, keepalivedVrrpConf, ['ip', 'netns', 'exec', ns, 'keepalived', '-n', '-l', '-G', '-D', '-f', conf,
      '-p', join(dir, 'keepalived.pid'), '-c', join(dir, 'checkers.pid'), '-r', join(dir, 'vrrp.pid')]);
    this.ns = ns;
    this.pidFiles = ['vrrp.pid', 'checkers.pid'].map((f) => join(dir, f));
  }

  /** Its VRRP state as it last logged it: 'master', 'backup', 'fault' or null. */
  state() {
    return this.lastState()?.state ?? null;
  }

  /** The last state it logged and when the line was read: { state, t } or null. */
  lastState() {
    return this.states().at(-1) ?? null;
  }

  /** Every state it logged, in order, each with when its line was read: [{ state, t }]. */
  states() {
    return this.log.flatMap(({ line, t }) => {
      const m = line.match(/\(VI_1\) Entering (MASTER|BACKUP|FAULT) STATE/);
      return m ? [{ state: m[1].toLowerCase(), t }] : [];
    });
  }

  /**
   * Dies at once, as a crashed node would. All three processes are stopped first (a running
   * parent would restart a killed child; a child that outlived its parent would shut down cleanly,
   * sending priority 0), then killed. The VIP, the table and the kernel's sync daemon stay behind.
   */
  kill() {
    const pids = [this.process.pid];
    for (const file of this.pidFiles) {
      try { pids.push(Number(readFileSync(file, 'utf8').trim())); } catch { /* not running */ }
    }
    for (const signal of ['SIGSTOP', 'SIGKILL']) {
      for (const pid of pids) {
        try { process.kill(pid, signal); } catch { /* gone */ }
      }
    }
    return this.exited;
  }
}
