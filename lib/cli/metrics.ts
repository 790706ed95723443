/** `node-ipvs metrics`: one scrape of the table's Prometheus metrics, printed (what GET /metrics of the director answers). */
import { intOption, parse, printJson, withClient, type Command } from './common';

const HELP = `usage: node-ipvs metrics [--json] [--timeout MS] [--netns NAME]

Reads the IPVS table and /proc/net/ip_vs_stats once and prints the metrics
in Prometheus text format: per service and real server (ipvs_...), and the
names of node_exporter's ipvs collector (node_ipvs_...). See docs/metrics.md.

options:
  --json           print prom-client's JSON form instead
  --timeout MS     the scrape's deadline (default 5000)
  --netns NAME     the table of network namespace NAME
`;

export const metricsCommand: Command = {
  async run(args) {
    const p = parse(args, { json: { type: 'boolean' }, timeout: { type: 'string' } }, HELP);
    if (!p) return 0;
    const timeout = intOption(p.values, 'timeout');
    // Loaded here, not at the top: prom-client is ~90 modules every other command would load for nothing.
    const { createMetrics } = await import('../metrics');
    return withClient(p.values, async (ipvs) => {
      const metrics = createMetrics(timeout === undefined ? { ipvs } : { ipvs, timeout });
      if (p.values.json) printJson(await metrics.registry.getMetricsAsJSON());
      else process.stdout.write(await metrics.scrape());
      metrics.close();
      return 0;
    });
  },
};
