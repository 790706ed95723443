/**
 * GET /metrics over node:http. One scrape at a time is shared by concurrent requests (IpvsMetrics.scrape);
 * a scrape that fails or passes its deadline answers 500 with one line saying why, so Prometheus
 * marks the target down instead of storing a partial table.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Listen } from './options';

export interface MetricsServer {
  /** Where it listens (port 0 asked: the port the system chose). */
  address: { host: string; port: number };
  /** Stops listening and ends open connections; resolves when the server is closed. */
  close(): Promise<void>;
}

export interface ScrapeSource {
  scrape(): Promise<string>;
  contentType: string;
  timeoutMs: number;
}

export async function serveMetrics(source: ScrapeSource, listen: Listen): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handle(source, req, res).catch(() => res.destroy());
  });
  // A slow or idle client must not hold a connection for ever.
  server.requestTimeout = Math.min(source.timeoutMs + 5000, 0x7fffffff);
  server.headersTimeout = Math.min(server.requestTimeout, 60_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}

async function handle(source: ScrapeSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') return text(res, 404, 'not found: the metrics are at /metrics');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return text(res, 405, `method ${req.method} not allowed: GET /metrics`);
  }
  let body: string;
  try {
    body = await withDeadline(source.scrape(), source.timeoutMs);
  } catch (err) {
    return text(res, 500, `scrape failed: ${oneLine(err)}`);
  }
  res.writeHead(200, { 'Content-Type': source.contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The kernel reads have the scrape's deadline already; this is the whole scrape's, with a little
 * room over it so that the kernel's own ETIMEDOUT (which says where it stuck) is what is reported.
 */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms + 250);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function text(res: ServerResponse, status: number, line: string): void {
  const body = `${line}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}
