// The director agent (`node-ipvs director CONFIG`) run in a lab namespace: its config written
// from the same numbers as keepalived's (lab/keepalived.mjs), reloaded by SIGHUP, stopped by
// SIGTERM. The same shape as the Keepalived class, so the scenario drives either.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/**
 * The agent's config for one service (see keepalivedConf for `model`). Two failed checks an
 * interval apart take a server out (retries 0, fall 2: keepalived's retry 1 with
 * delay_before_retry = delay_loop), two good ones bring it back (rise 2: keepalived's HTTP_GET
 * needs retry + 1 good checks after a failure).
 */
export function directorConfig(model, dir) {
  const c = model.check;
  return `# Written by the lab (lab/scenarios/health-director.mjs) from the same numbers as keepalived.conf.
director:
  resyncInterval: ${model.resync}
  onStop: remove
  state: ${join(dir, 'director.json')}
  log: json
services:
  - service: tcp ${model.vip}:${model.port}
    scheduler: ${model.scheduler}
    forwarding: ${model.forwarding}
    health:
      type: http
      path: ${c.path}
      status: [200]
      interval: ${c.interval}
      timeout: ${c.timeout}
      retries: 0
      fall: ${c.fall}
      rise: ${c.rise}
    quorum: { min: ${model.quorum}, sorryServer: "${model.sorry}:${model.port}" }
    destinations:
${model.servers.map((address) => `      - server: ${address}`).join('\n')}
`;
}

/** The agent's process in namespace `ns` (entered by ip netns exec: its checks leave from there), its files in `dir`. */
export class Director {
  name = 'node-ipvs';
  log = [];

  constructor(ns, dir) {
    this.ns = ns;
    this.dir = dir;
    this.conf = join(dir, 'director.yaml');
  }

  start(model) {
    this.#write(model);
    this.process = spawn('ip', ['netns', 'exec', this.ns, process.execPath, CLI, 'director', this.conf, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (text) => {
        for (const line of text.split('\n').filter(Boolean)) this.log.push({ t: Date.now(), line });
      });
    }
    this.exited = once(this.process, 'exit');
  }

  reload(model) {
    this.#write(model);
    this.process.kill('SIGHUP');
  }

  async stop() {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    await this.exited;
  }

  #write(model) {
    writeFileSync(`${this.conf}.new`, directorConfig(model, this.dir));
    renameSync(`${this.conf}.new`, this.conf);
  }
}
