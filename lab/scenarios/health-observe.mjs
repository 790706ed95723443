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

/** A real server (health-server.mjs) in ns, answering as `name`; checks come from `checker`. */
export class LabServer {
  constructor(t, ns, name, port, checker) {
    this.name = name;
    this.process = spawn('ip', ['netns', 'exec', ns, process.execPath, script('health-server.mjs'), name, String(port), checker], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.processes.push(this.process);
    // { t, kind: 'check' | 'hit' | 'stopped' | 'started', ok }
    this.events = historyOf(this.process, (line) => {
      const [kind, t, ok] = line.split(' ');
      return { kind, t: Number(t), ok: ok === 'ok' };
    });
  }

  ready(timeoutMs = 15_000) {
    return this.#said('started', 0, timeoutMs);
  }

  /** The next check from `since` (answered or refused). */
  nextCheck(since = Date.now(), timeoutMs = 5000) {
    return this.events.until((e) => e.kind === 'check', since, timeoutMs);
  }

  /** Stops (resets every connection from now on); resolves the time it stopped. */
  stop() {
    const since = Date.now();
    this.process.stdin.write('stop\n');
    return this.#said('stopped', since);
  }

  start() {
    const since = Date.now();
    this.process.stdin.write('start\n');
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
  #running = true;

  constructor(ipvs, key, every = 20) {
    this.done = (async () => {
      while (this.#running) {
        const t = Date.now();
        const list = await ipvs.listDestinations(key).catch(() => []);
        this.samples.push({ t, seen: Date.now(), weights: new Map(list.map((d) => [d.key.address, d.config.weight])) });
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
