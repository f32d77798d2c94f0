/**
 * The baseline: a bare node:http server that answers every request with bytes held
 * in memory — the same status, headers and body xcapd gave for that scenario, sent
 * by the parent over IPC. What Node itself can do on this machine, nothing more.
 * Run only as a child of bench/run.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Canned {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

interface Prepared {
  readonly status: number;
  readonly headers: [string, string | string[]][];
  readonly body: Buffer;
}

const send = process.send?.bind(process);
if (send === undefined) {
  console.error('baseline-server: start me from bench/run.ts (I need an IPC channel)');
  process.exit(2);
}

let responses = new Map<string, Prepared>();

function answer(req: IncomingMessage, res: ServerResponse): void {
  const r = responses.get(req.method ?? 'GET') ?? responses.get('*');
  if (r === undefined) {
    res.statusCode = 501;
    res.end();
    return;
  }
  res.statusCode = r.status;
  for (const [name, value] of r.headers) res.setHeader(name, value);
  res.setHeader('Content-Length', r.body.length);
  res.end(r.body);
}

const server = createServer((req, res) => {
  // A request with a body is answered once the body is in, as a real server would.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    req.resume();
    req.once('end', () => answer(req, res));
    return;
  }
  answer(req, res);
});
server.keepAliveTimeout = 65_000;

process.on('message', (message: { type?: string; responses?: Record<string, Canned> }) => {
  if (message.type !== 'respond' || message.responses === undefined) return;
  responses = new Map(
    Object.entries(message.responses).map(([method, c]) => [
      method,
      { status: c.status, headers: Object.entries(c.headers), body: Buffer.from(c.body, 'utf8') },
    ]),
  );
  send({ type: 'ok' });
});

// The parent is gone (or done with us): nothing left to serve.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  send({ type: 'listening', port: (server.address() as AddressInfo).port });
});
