// What the health scenario observes, each with its own timestamps (ms since the epoch, one
// kernel clock for every namespace): the real servers (checks they answered or refused, client
// connections that reached them while down), the client's stream of requests, and the kernel's
// table polled every 20 ms. Each keeps a history and resolves waits on it.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A history that can be waited on: until(pred, since) resolves the first entry from `since` on that satisfies pred, or null after timeoutMs. */
class History {
  entries = [];
  #waiters = new Set();

  push(entry) {
    this.entries.push(entry);
    for (const w of this.#waiters) if (w.test(entry)) w.done(entry);
  }

  until(pred, since, timeoutMs) {
    const test = (e) => e.t >= since && pred(e);
    const found = this.entries.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const w = {
        test,
        done: (e) => { clearTimeout(timer); this.#waiters.delete(w); resolve(e); },
      };
      const timer = setTimeout(() => w.done(null), timeoutMs);
      this.#waiters.add(w);
    });
  }

  between(from, to) {
    return this.entries.filter((e) => e.t >= from && e.t < to);
  }
}

/** Parses a process's stdout into a History, one entry per line. */
function historyOf(process, parse) {
  const h = new History();
  createInterface({ input: process.stdout }).on('line', (line) => {
    const entry = parse(line);
    if (entry) h.push(entry);
  });
  return h;
}

const script = (name) => new URL(name, import.meta.url).pathname;

/**
 * The real servers (health-server.mjs, one process for all): `servers` is [[name, ns]]; checks
 * come from `checker`. servers.get(name) is one server's handle.
 */
export class LabServers {
  #byName = new Map();

  constructor(t, servers, port, checker) {
    this.process = spawn(process.execPath, [script('health-server.mjs'), String(port), checker, ...servers.map(([name, ns]) => `${name}=${ns}`)], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.processes.push(this.process);
    for (const [name] of servers) this.#byName.set(name, new LabServer(name, this.process.stdin));
    this.started = new Promise((resolve, reject) => {
      this.process.once('exit', (code) => reject(new Error(`lab/scenarios/health-server.mjs exited with status ${code}`)));
      createInterface({ input: this.process.stdout }).on('line', (line) => {
        if (line === 'ready') return resolve();
        const [name, kind, t, ok] = line.split(' ');
        this.#byName.get(name)?.events.push({ kind, t: Number(t), ok: ok === 'ok' });
      });
    });
  }

  get(name) {
    return this.#byName.get(name);
  }
}

/** One real server: its events { t, kind: 'check' | 'hit' | 'stopped' | 'started', ok }, and stop/start. */
class LabServer {
  events = new History();

  constructor(name, commands) {
    this.name = name;
    this.commands = commands;
  }

  /** The next check from `since` (answered or refused). */
  nextCheck(since = Date.now(), timeoutMs = 5000) {
    return this.events.until((e) => e.kind === 'check', since, timeoutMs);
  }

  /** Stops (resets every connection from now on); resolves the time it stopped. */
  stop() {
    const since = Date.now();
    this.commands.write(`stop ${this.name}\n`);
    return this.#said('stopped', since);
  }

  start() {
    const since = Date.now();
    this.commands.write(`start ${this.name}\n`);
    return this.#said('started', since);
  }

  /** Client connections that reached it while stopped, in [from, to). */
  hits(from, to) {
    return this.events.between(from, to).filter((e) => e.kind === 'hit').length;
  }

  async #said(kind, since, timeoutMs = 5000) {
    const e = await this.events.until((x) => x.kind === kind, since, timeoutMs);
    if (!e) throw new Error(`lab server ${this.name}: no '${kind}' within ${timeoutMs} ms`);
    return e.t;
  }
}

/** The client's stream (health-client.mjs): one request every `every` ms, each entry { t, ms, s | e }. */
export class RequestStream {
  constructor(t, ns, url, every) {
    this.process = spawn('ip', ['netns', 'exec', ns, process.execPath, script('health-client.mjs'), url, String(every)], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.processes.push(this.process);
    this.requests = historyOf(this.process, (line) => JSON.parse(line));
    this.exited = new Promise((resolve) => this.process.once('exit', resolve));
  }

  /** The first request from `since` on that `name` answered. */
  answeredBy(name, since, timeoutMs) {
    return this.requests.until((r) => r.s === name, since, timeoutMs);
  }

  failed(from, to) {
    return this.requests.between(from, to).filter((r) => r.e).length;
  }

  /** Requests per answering server in [from, to). */
  tally(from, to) {
    const counts = {};
    for (const r of this.requests.between(from, to)) if (r.s) counts[r.s] = (counts[r.s] ?? 0) + 1;
    return counts;
  }

  async stop() {
    this.process.stdin.end();
    await this.exited;
  }
}

/**
 * The service's destinations as the kernel holds them, read every `every` ms through the library:
 * entries { t: when the read began, seen: when it ended, weights: Map address -> weight }. A
 * change is dated by `seen` (it happened before then), a request by its start: so a request
 * counted "after" a change started after the change was in the kernel.
 */
export class KernelWatch {
  samples = new History();
  errors = [];
  #running = true;

  constructor(ipvs, key, every = 20) {
    this.done = (async () => {
      while (this.#running) {
        const t = Date.now();
        try {
          // No service (ESRCH: before the agent made it, after it removed it) holds no one.
          const list = await ipvs.listDestinations(key).catch((err) => (err.code === 'ESRCH' ? [] : Promise.reject(err)));
          this.samples.push({ t, seen: Date.now(), weights: new Map(list.map((d) => [d.key.address, d.config.weight])) });
        } catch (err) {
          // A failed read says nothing about the table (an empty one would read as "all removed").
          this.errors.push(`${err.code ?? ''} ${err.message}`);
        }
        await sleep(every);
      }
    })();
  }

  /** When the kernel was first seen (from `since` on) in a state pred accepts; null if not within timeoutMs. */
  async until(pred, since, timeoutMs) {
    const s = await this.samples.until((x) => pred(x.weights), since, timeoutMs);
    return s ? s.seen : null;
  }

  /** Samples in [from, to) where pred holds. */
  where(pred, from, to) {
    return this.samples.between(from, to).filter((x) => pred(x.weights));
  }

  async stop() {
    this.#running = false;
    await this.done;
  }
}

export { sleep };
