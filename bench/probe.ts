/**
 * Single requests outside the load: checking a scenario works before timing it,
 * fetching Digest challenges, and capturing the exact response the baseline server
 * is to replay.
 */
import { request } from 'node:http';
import type { CannedResponse } from './children.js';

export interface ProbeRequest {
  readonly method: string;
  /** The request target, sent as is. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ProbeResponse {
  readonly status: number;
  readonly headers: NodeJS.Dict<string[]>;
  readonly body: string;
}

export function probe(origin: string, req: ProbeRequest): Promise<ProbeResponse> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const r = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers ?? {}, agent: false, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headersDistinct, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path}: no answer within 30 s`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Headers node:http writes by itself on every response, for xcapd and the baseline alike. */
const CONNECTION_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export function toCanned(response: ProbeResponse): CannedResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(response.headers)) {
    if (values === undefined || CONNECTION_HEADERS.has(name)) continue;
    headers[name] = values.length === 1 ? values[0]! : values;
  }
  return { status: response.status, headers, body: response.body };
}
