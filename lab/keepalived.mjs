// keepalived's checkers (Debian's package, the reference the director agent is compared with)
// run in a lab namespace: the keepalived.conf equivalent to the agent's config, written from the
// same numbers, and the process (-C: checkers only, no VRRP), reloaded and stopped by signals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from './agent.mjs';

const seconds = (ms) => String(ms / 1000);
const KIND = { route: 'DR', masq: 'NAT', tunnel: 'TUN' };

/**
 * keepalived.conf for one service. `model`: { vip, port, scheduler, forwarding, servers: [address],
 * sorry: address, quorum, check: { interval, timeout, fall, rise, path } } (ms). keepalived has no
 * `fall`: a failed check is retried `retry` times, `delay_before_retry` apart, before the server
 * goes down, which is fall = retry + 1 with checks an interval apart. It has no `rise` either, but
 * its HTTP_GET (2.2.7, measured in the lab) brings a failed server back only after retry + 1 good
 * checks ("HTTP status code success", then "succeed on service"): rise = fall. The model's rise
 * must equal its fall for the two configs to say the same.
 */
export function keepalivedConf(model) {
  const c = model.check;
  if (c.rise !== c.fall) throw new Error(`keepalived's HTTP_GET cannot say rise ${c.rise} with fall ${c.fall}: its rise is its fall`);
  const real = (address) => `
  real_server ${address} ${model.port} {
    weight 1
    HTTP_GET {
      url {
        path ${c.path}
        status_code 200
      }
      connect_timeout ${seconds(c.timeout)}
      retry ${c.fall - 1}
      delay_before_retry ${seconds(c.interval)}
    }
  }`;
  return `# Written by the lab (lab/keepalived.mjs) from the same numbers as the director agent's config.
global_defs {
  router_id lab
}
virtual_server ${model.vip} ${model.port} {
  protocol TCP
  lb_algo ${model.scheduler}
  lb_kind ${KIND[model.forwarding]}
  delay_loop ${seconds(c.interval)}
  quorum ${model.quorum}
  sorry_server ${model.sorry} ${model.port}
${model.servers.map(real).join('\n')}
}
`;
}

/**
 * The keepalived process in namespace `ns`, its files in `dir`: -n stays in front, -l -G log to
 * stdout only, -C runs the checkers only. It reloads on SIGHUP (its parent re-reads the file and
 * restarts the checker child); on SIGTERM it removes what it added (unless -I), then exits.
 */
export class Keepalived extends AgentProcess {
  constructor(ns, dir) {
    const conf = join(dir, 'keepalived.conf');
    // Own pid files: the defaults under /run/keepalived would collide with a host keepalived.
    const pids = { main: join(dir, 'keepalived.pid'), checkers: join(dir, 'checkers.pid'), vrrp: join(dir, 'vrrp.pid') };
    super('keepalived', conf, keepalivedConf, ['ip', 'netns', 'exec', ns, 'keepalived', '-n', '-l', '-G', '-D', '-C', '-f', conf,
      '-p', pids.main, '-c', pids.checkers, '-r', pids.vrrp]);
    this.pids = pids;
  }

  /** The checker child's pid (it does the checks; the parent only supervises). */
  checkerPid() {
    return Number(readFileSync(this.pids.checkers, 'utf8').trim());
  }
}
