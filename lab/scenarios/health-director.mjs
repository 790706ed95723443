// The director agent (`node-ipvs director CONFIG`) run in a lab namespace: its config written
// from the same numbers as keepalived's (lab/keepalived.mjs), reloaded by SIGHUP, stopped by
// SIGTERM. The same shape as the Keepalived class, so the scenario drives either.
import { join } from 'node:path';
import { AgentProcess } from '../agent.mjs';

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

/** The agent in namespace `ns` (--netns enters it for the whole process: its checks leave from there), its files in `dir`. */
export class Director extends AgentProcess {
  constructor(ns, dir) {
    const conf = join(dir, 'director.yaml');
    super('node-ipvs', conf, (model) => directorConfig(model, dir), [process.execPath, CLI, 'director', conf, '--netns', ns, '--json']);
  }
}
