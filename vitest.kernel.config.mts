import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Kernel tests: real IPVS. Run inside the sandbox kernel (npm run test:kernel)
// or as root on a host with IPVS. Each file makes its own network namespace.
//
// The guest has one CPU, so `npm test` boots two guests side by side (one per host core), each
// running a shard (--shard=1/2, 2/2). Shards are balanced by what each file took in a clean-clone
// CI run, in seconds: a file not listed counts as DEFAULT_SECONDS. Within a shard the longest
// files start first, so no long file starts last.
const SECONDS: Record<string, number> = {
  'lab.test.ts': 430, 'native-memory.test.ts': 152, 'host-cli.test.ts': 147, 'rules.test.ts': 117,
  'destinations.test.ts': 91, 'host.test.ts': 87, 'cli-list.test.ts': 86, 'services.test.ts': 59,
  'apply.test.ts': 51, 'director.test.ts': 49, 'metrics.test.ts': 49, 'table-model.test.ts': 45,
  'apply-cli.test.ts': 43, 'lifecycle.test.ts': 40, 'status.test.ts': 35, 'connections.test.ts': 35,
  'settings.test.ts': 28, 'stats.test.ts': 26, 'doc-configs.test.ts': 21, 'apply-kill.test.ts': 17,
  'batch.test.ts': 17, 'examples.test.ts': 9, 'errors.test.ts': 7, 'sandbox-devices.test.ts': 5,
  'director-netns.test.ts': 5, 'sandbox-fpu.test.ts': 5, 'vrrp-socket.test.ts': 125,
};
const DEFAULT_SECONDS = 20;
const secondsOf = (spec: TestSpecification) => SECONDS[spec.moduleId.split('/').at(-1)!] ?? DEFAULT_SECONDS;
const longestFirst = (files: TestSpecification[]) =>
  [...files].sort((a, b) => secondsOf(b) - secondsOf(a) || a.moduleId.localeCompare(b.moduleId));

class BalancedSequencer extends BaseSequencer {
  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { index, count } = this.ctx.config.shard!;
    const loads = new Array<number>(count).fill(0);
    const mine: TestSpecification[] = [];
    for (const spec of longestFirst(files)) {
      const lightest = loads.indexOf(Math.min(...loads));
      loads[lightest] += secondsOf(spec);
      if (lightest === index - 1) mine.push(spec);
    }
    return mine;
  }

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return longestFirst(files);
  }
}

export default defineConfig({
  test: {
    include: ['test/kernel/**/*.test.ts'],
    pool: 'forks',
    // One CPU per guest: two workers overlap I/O waits without thrashing.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    sequence: { sequencer: BalancedSequencer },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
