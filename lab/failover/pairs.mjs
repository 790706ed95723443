// The director pairs the failover scenario runs: which agent each director is, and the one model
// both agents' configs are written from (lab/failover/keepalived-pair.mjs, node-ipvs-director.mjs).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { KeepalivedDirector } from './keepalived-pair.mjs';
import { NodeIpvsDirector } from './node-ipvs-director.mjs';

/** kind → dir1's and dir2's agents, and the node-ipvs agents' sync mode (none: the default, 'both'). */
export const PAIRS = {
  keepalived: { title: 'keepalived + keepalived', agents: ['keepalived', 'keepalived'] },
  'node-ipvs': { title: "node-ipvs + node-ipvs (sync 'both', the default)", agents: ['node-ipvs', 'node-ipvs'] },
  follow: { title: "node-ipvs + node-ipvs, sync 'follow'", agents: ['node-ipvs', 'node-ipvs'], sync: 'follow' },
  mixed: { title: 'node-ipvs (dir1) + keepalived (dir2)', agents: ['node-ipvs', 'keepalived'] },
  'mixed-reverse': { title: 'keepalived (dir1) + node-ipvs (dir2)', agents: ['keepalived', 'node-ipvs'] },
};

/** The agents' logs go to their folders, or to LAB_FAILOVER_LOGS (a folder that outlives the sandbox's temporary one). */
const logOf = (dir) => join(process.env.LAB_FAILOVER_LOGS ?? dir, `${basename(dir)}.log`);

const AGENTS = { keepalived: KeepalivedDirector, 'node-ipvs': NodeIpvsDirector };

/**
 * The pair of `kind` over namespaces dirs[0], dirs[1]: { title, start(i), kill(i), state(i), lastState(i),
 * statesSince(i, t), agent(i), stopAll() }. dir1 has the higher priority (150 against 100) and preempts (after `preemptDelay` s
 * if given); both advertise every 0.5 s on VRID 51 and sync with id 51.
 */
export function directorPair(t, kind, dirs, { vip, port, servers, preemptDelay = 0 }) {
  const pair = PAIRS[kind];
  if (!pair) throw new Error(`no director pair '${kind}' (known: ${Object.keys(PAIRS).join(', ')})`);
  const agents = [null, null];
  /** Every agent started, with its folder: each one's log is written there as agent.log at the end. */
  const all = [];
  const model = (i) => ({
    name: `dir${i + 1}`, priority: i === 0 ? 150 : 100, preempt: true, preemptDelay, advertSeconds: 0.5, vrid: 51, syncId: 51,
    vip, port, servers, sync: pair.sync,
  });
  return {
    title: pair.title,
    start: (i) => {
      const dir = mkdtempSync(join(tmpdir(), `${dirs[i]}-`));
      const a = new AGENTS[pair.agents[i]](dirs[i], dir);
      agents[i] = a;
      all.push({ a, dir });
      a.start(model(i));
      t.processes.push(a.process);
    },
    kill: (i) => agents[i].kill(),
    state: (i) => agents[i].state(),
    lastState: (i) => agents[i].lastState(),
    /** The states agent i logged since time t (its lines read at or after t). */
    statesSince: (i, t) => agents[i].states().filter((s) => s.t >= t).map((s) => s.state),
    agent: (i) => agents[i],
    stopAll: async () => {
      for (const a of agents) if (a?.process.exitCode === null && a.process.signalCode === null) await a.stop();
      for (const { a, dir } of all) writeFileSync(logOf(dir), a.log.map((l) => `${new Date(l.t).toISOString()} ${l.line}\n`).join(''));
    },
    /** Where the agents' logs are, in the order they started (dir1's first). */
    logs: () => all.map(({ dir }) => logOf(dir)),
  };
}
