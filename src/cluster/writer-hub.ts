/**
 * The writing worker's end of the writer socket: carries out the writes the other
 * workers forward, and passes every committed change to the workers that follow
 * (its own commits, and those another worker sends in), in the order it learns of them.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { DocumentChange, XcapRequest, XcapResponse } from '../service/xcap-service.js';
import { encodeFrame, FramedConnection } from './frames.js';
import { isMessage, MAX_UNSENT_BYTES, relayable, type FromWriter, type ToWriter } from './writer-protocol.js';

export interface WriterHubOptions {
  /** Carries out one forwarded write; refusals come back as rendered responses. */
  readonly handle: (request: XcapRequest) => Promise<XcapResponse>;
  /** A change another worker committed, for this process's own feed streams and SIP subscriptions. */
  readonly onRelayedChange: (change: DocumentChange) => void;
  readonly logger: Logger;
}

interface Peer {
  readonly connection: FramedConnection;
  following: boolean;
}

export class WriterHub {
  private readonly peers = new Set<Peer>();

  private constructor(
    private readonly server: Server,
    private readonly options: WriterHubOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on `path`, replacing the socket file a previous writing worker left behind. */
  static async listen(path: string, options: WriterHubOptions): Promise<WriterHub> {
    rmSync(path, { force: true });
    const server = createServer();
    const hub = new WriterHub(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return hub;
  }

  /** A change this process committed: to every follower. */
  readonly publish = (change: DocumentChange): void => {
    this.toFollowers({ type: 'change', change: relayable(change) }, null);
  };

  private toFollowers(message: FromWriter, except: Peer | null): void {
    let frame: Buffer | null = null;
    for (const peer of this.peers) {
      if (!peer.following || peer === except) continue;
      frame ??= encodeFrame(message);
      peer.connection.send(frame);
    }
  }

  private accept(socket: Socket): void {
    const peer: Peer = {
      following: false,
      connection: new FramedConnection(
        socket,
        {
          onMessage: (message) => this.receive(peer, message),
          onClose: (error) => {
            this.peers.delete(peer);
            if (error) this.options.logger.warn({ err: error }, 'a worker connection to the writing worker failed');
          },
        },
        MAX_UNSENT_BYTES,
      ),
    };
    this.peers.add(peer);
  }

  private receive(peer: Peer, raw: unknown): void {
    if (!isMessage(raw)) return;
    const message = raw as ToWriter;
    switch (message.type) {
      case 'write':
        // A handler that throws before it returns a promise is answered like one that rejects.
        void new Promise<XcapResponse>((resolve) => resolve(this.options.handle(message.request)))
          .catch((e: unknown): XcapResponse => {
            this.options.logger.error({ err: e }, 'a forwarded write failed');
            return { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'internal error\n' };
          })
          .then((response) => {
            peer.connection.send(encodeFrame({ type: 'result', id: message.id, response } satisfies FromWriter));
          });
        return;
      case 'change':
        this.options.onRelayedChange(message.change);
        this.toFollowers({ type: 'change', change: message.change }, peer);
        return;
      case 'follow':
        // From here on every change is sent to this peer after the acknowledgement.
        peer.following = message.on;
        peer.connection.send(encodeFrame({ type: 'following', on: message.on, seq: message.seq } satisfies FromWriter));
        return;
    }
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.connection.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
