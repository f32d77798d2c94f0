/**
 * The one HTTP call the notifiers make: a request with a deadline that fails unless
 * the answer is 2xx. Credentials written in the URL (`http://user:pass@host/`) are
 * sent as Basic authentication, since fetch refuses URLs that carry them.
 */

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export async function httpRequest(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; signal: AbortSignal },
): Promise<HttpAnswer> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...init.headers };
  if (target.username !== '' || target.password !== '') {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.Authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let response: Response;
  try {
    response = await fetch(target, {
      method: init.method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: init.signal,
      redirect: 'manual',
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = init.signal.aborted ? 'timed out' : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new DeliveryError(`${init.method} ${target.origin}${target.pathname}: ${why}`);
  }
  const body = await response.text().catch(() => '');
  if (response.status < 200 || response.status > 299) {
    throw new DeliveryError(`${init.method} ${target.origin}${target.pathname}: HTTP ${response.status} ${body.slice(0, 200).trim()}`);
  }
  return { status: response.status, body };
}

let nextId = 1;

/** A JSON-RPC 2.0 call over HTTP POST; throws on a transport error or an `error` answer. */
export async function jsonRpc(url: string, method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
  const id = nextId++;
  const answer = await httpRequest(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
    signal,
  });
  let reply: { result?: unknown; error?: { code?: number; message?: string } };
  try {
    reply = JSON.parse(answer.body) as typeof reply;
  } catch {
    throw new DeliveryError(`${method}: the answer is not JSON: ${answer.body.slice(0, 200)}`);
  }
  if (reply.error !== undefined && reply.error !== null) {
    throw new DeliveryError(`${method}: error ${reply.error.code ?? ''} ${reply.error.message ?? JSON.stringify(reply.error)}`.trim());
  }
  return reply.result;
}
