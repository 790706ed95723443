// An agent process the health scenario drives (keepalived or node-ipvs's director): its config
// file written whole and renamed (a reload never reads half a file), started with its output
// kept line by line with the time each was read, reloaded with SIGHUP, stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { renameSync, writeFileSync } from 'node:fs';

export class AgentProcess {
  /** Every line it logged, with the time it was read (ms since the epoch). */
  log = [];

  /** render(model) is the config text; argv the command that runs the agent on `conf`. */
  constructor(name, conf, render, argv) {
    this.name = name;
    this.conf = conf;
    this.render = render;
    this.argv = argv;
  }

  start(model) {
    this.write(model);
    this.process = spawn(this.argv[0], this.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (text) => {
        for (const line of text.split('\n').filter(Boolean)) this.log.push({ t: Date.now(), line });
      });
    }
    this.exited = once(this.process, 'exit');
  }

  reload(model) {
    this.write(model);
    this.process.kill('SIGHUP');
  }

  async stop() {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    await this.exited;
  }

  write(model) {
    writeFileSync(`${this.conf}.new`, this.render(model));
    renameSync(`${this.conf}.new`, this.conf);
  }
}
