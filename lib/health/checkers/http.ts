/**
 * HTTP_GET and SSL_GET over undici: one GET per attempt on a connection of its own (a pooled
 * keep-alive connection would keep answering from a server whose listener is gone), the status
 * against the accepted codes and ranges, the body's first 64 KiB against a regex. The attempt's
 * timeout covers connecting, the headers and the body.
 */
import type { Client } from 'undici';
import type { Checker, CheckOutcome, CheckTarget, HttpCheckSettings } from '../types';
import { bounded, errorCode } from './attempt';

/** The part of the body the regex sees: enough for a status page, bounded against a huge one. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Accepted statuses as closed ranges. */
export function statusRanges(status: readonly (number | string)[]): [number, number][] {
  return status.map((s) => {
    if (typeof s === 'number') return [s, s];
    const [lo, hi = lo] = s.split('-').map(Number);
    return [lo, hi];
  });
}

export function httpChecker(settings: HttpCheckSettings, tls: boolean): Checker {
  const ranges = statusRanges(settings.status ?? ['200-299']);
  const body = settings.body === undefined ? null : new RegExp(settings.body);
  // One undici Client per origin, but no connection outlives its request (reset: true sends
  // "Connection: close" and closes the socket after the response): a fresh connection per attempt,
  // without building a client each time. Between checks a Client holds no socket.
  const clients = new Map<string, Client>();
  const clientFor = (target: CheckTarget, timeoutMs: number): Client => {
    const host = target.family === 'inet6' ? `[${target.address}]` : target.address;
    const origin = `${tls ? 'https' : 'http'}://${host}:${target.port}`;
    const key = `${origin} ${timeoutMs}`;
    let client = clients.get(key);
    if (!client || client.destroyed || client.closed) {
      // undici (110 modules) loads with the first HTTP check, not with the library.
      const { Client: UndiciClient } = require('undici') as typeof import('undici');
      client = new UndiciClient(origin, {
        connectTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connect: tls
          ? { rejectUnauthorized: settings.verify === true, ca: settings.ca, servername: settings.sni, timeout: timeoutMs }
          : { timeout: timeoutMs },
      });
      clients.set(key, client);
    }
    return client;
  };
  return {
    check: (target, timeoutMs, signal) =>
      bounded(timeoutMs, signal, (inner) => get(clientFor(target, timeoutMs), target, inner, settings, tls, ranges, body)),
  };
}

function hostPort(target: CheckTarget, tls: boolean): string {
  const host = target.family === 'inet6' ? `[${target.address}]` : target.address;
  return target.port === (tls ? 443 : 80) ? host : `${host}:${target.port}`;
}

async function get(
  client: Client, target: CheckTarget, signal: AbortSignal, settings: HttpCheckSettings, tls: boolean,
  ranges: [number, number][], body: RegExp | null,
): Promise<CheckOutcome> {
  let res;
  try {
    res = await client.request({
      method: 'GET',
      path: settings.path ?? '/',
      headers: { host: settings.host ?? hostPort(target, tls), 'user-agent': 'node-ipvs health check' },
      reset: true,
      signal,
    });
  } catch (err) {
    return { ok: false, reason: requestFailure(err, signal) };
  }
  const status = res.statusCode;
  if (!ranges.some(([lo, hi]) => status >= lo && status <= hi)) {
    // Read to the end (bounded): destroying the body would cost an error object per check.
    await res.body.dump({ limit: BODY_LIMIT_BYTES }).catch(() => undefined);
    return { ok: false, reason: `status ${status}` };
  }
  if (body === null) {
    await res.body.dump({ limit: BODY_LIMIT_BYTES }).catch(() => undefined);
    return { ok: true, reason: `status ${status}` };
  }
  const text = await readPrefix(res.body, BODY_LIMIT_BYTES);
  return body.test(text) ? { ok: true, reason: `status ${status}` } : { ok: false, reason: `body does not match /${body.source}/` };
}

function requestFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'aborted';
  const code = errorCode(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers timeout';
  if (code === 'UND_ERR_SOCKET') return 'connection closed before the response';
  // Socket errors while connecting keep their errno name (ECONNREFUSED, EHOSTUNREACH); TLS ones their OpenSSL code.
  const cause = (err as { cause?: unknown }).cause;
  return `connect ${cause ? errorCode(cause) : code}`;
}

/** The first `limit` bytes of a body as text; the rest is not read. */
async function readPrefix(stream: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = true;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      complete = false;
      break;
    }
  }
  // Breaking out of the loop destroys the stream; ending it normally needs nothing more.
  if (!complete) stream.destroy();
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
