// keepalived's checkers (Debian's package, the reference the director agent is compared with)
// run in a lab namespace: the keepalived.conf equivalent to the agent's config, written from the
// same numbers, and the process (-C: checkers only, no VRRP), reloaded and stopped by signals.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** The keepalived process in namespace `ns`, its files in `dir`. */
export class Keepalived {
  /** Every line it logged, with the time it was read (ms since the epoch). */
  name = 'keepalived';
  log = [];

  constructor(ns, dir) {
    this.dir = dir;
    this.conf = join(dir, 'keepalived.conf');
    // Own pid files: the defaults under /run/keepalived would collide with a host keepalived.
    this.pids = { main: join(dir, 'keepalived.pid'), checkers: join(dir, 'checkers.pid'), vrrp: join(dir, 'vrrp.pid') };
    this.ns = ns;
  }

  /** Writes the config and starts keepalived: -n stay in front, -l -G log to stdout only, -C checkers only. */
  start(model) {
    this.#write(model);
    this.process = spawn('ip', ['netns', 'exec', this.ns, 'keepalived', '-n', '-l', '-G', '-D', '-C', '-f', this.conf,
      '-p', this.pids.main, '-c', this.pids.checkers, '-r', this.pids.vrrp], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (text) => {
        for (const line of text.split('\n').filter(Boolean)) this.log.push({ t: Date.now(), line });
      });
    }
    this.exited = once(this.process, 'exit');
  }

  /** keepalived reloads on SIGHUP (its parent re-reads the file and restarts the checker child). */
  reload(model) {
    this.#write(model);
    this.process.kill('SIGHUP');
  }

  /** SIGTERM: keepalived removes what it added (unless -I), then exits. */
  async stop() {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    await this.exited;
  }

  /** The checker child's pid (it does the checks; the parent only supervises). */
  checkerPid() {
    return Number(readFileSync(this.pids.checkers, 'utf8').trim());
  }

  /** Written whole, then renamed: a reload never reads half a file. */
  #write(model) {
    writeFileSync(`${this.conf}.new`, keepalivedConf(model));
    renameSync(`${this.conf}.new`, this.conf);
  }
}
