// The JavaScript half of a restore, alone: parsing and validating the 10,000 × 4 rules text
// (no kernel needed), with the event loop's longest gap and the engine's garbage collection.
// The bench runs it on the host and in the sandbox, so that the two environments' costs for the
// same work can be read side by side. Prints one JSON line.
import { PerformanceObserver } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { makeTable } from './tables.mjs';

const require = createRequire(import.meta.url);
const { rulesToApply } = require('../dist/rules/parse.js');

/** Runs fn while watching event-loop gaps (a 1 ms timer) and GC pauses. */
export async function watched(fn) {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  const gc = { runs: 0, ms: 0, longest: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.runs++;
      gc.ms += e.duration;
      gc.longest = Math.max(gc.longest, e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(timer);
  observer.disconnect();
  return { value, ms, gap, gc };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rules } = makeTable('10,000 × 4', 10000, ['v4']);
  const r = await watched(() => rulesToApply(rules));
  process.stdout.write(`${JSON.stringify({ lines: r.value.ops.length, ms: r.ms, gap: r.gap, gc: r.gc })}\n`);
}
