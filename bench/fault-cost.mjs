// What one page fault costs here: writes 40 MiB of memory the process never touched
// and divides the time by the minor faults that took. The bench runs it on the host and
// in the sandbox, where a fault is a round trip through the user-mode kernel. Prints one JSON line.
const BYTES = 40 << 20;

export function faultCost() {
  const before = process.resourceUsage().minorPageFault;
  const started = performance.now();
  Buffer.allocUnsafeSlow(BYTES).fill(1);
  const ms = performance.now() - started;
  const faults = process.resourceUsage().minorPageFault - before;
  return { faults, ms, usPerFault: (ms * 1000) / Math.max(1, faults) };
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${JSON.stringify(faultCost())}\n`);
