/**
 * Messages between xcapd's worker processes over a local stream socket: each one a
 * 4-byte big-endian length and the V8 serialization of the value (which keeps Maps,
 * Buffers and strings as they are, without JSON's escaping).
 */
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';

/** A frame longer than this means the stream is corrupt (a request body is bounded far below it). */
export const MAX_FRAME_BYTES = 256 * 2 ** 20;

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

export class FrameError extends Error {}

/** Cuts a byte stream back into the messages `encodeFrame` made. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  /** The messages completed by this chunk, in order; throws FrameError on a corrupt stream. */
  push(chunk: Buffer): unknown[] {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: unknown[] = [];
    while (data.length >= 4) {
      const length = data.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new FrameError(`a frame of ${length} bytes is over the ${MAX_FRAME_BYTES}-byte bound`);
      if (data.length < 4 + length) break;
      try {
        messages.push(deserialize(data.subarray(4, 4 + length)));
      } catch (e) {
        throw new FrameError(`a frame could not be decoded: ${(e as Error).message}`);
      }
      data = data.subarray(4 + length);
    }
    // A copy, so that a small remainder does not keep a large chunk alive.
    this.buffered = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    return messages;
  }
}

/**
 * One end of a framed connection. Frames sent in one turn of the event loop leave in
 * one write; a peer that stops reading is cut off once `maxUnsentBytes` pile up.
 */
export class FramedConnection {
  private readonly decoder = new FrameDecoder();
  private corked = false;
  private queuedThisTick = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: { onMessage(message: unknown): void; onClose(error?: Error): void },
    private readonly maxUnsentBytes: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = this.decoder.push(chunk);
      } catch (e) {
        this.destroy(e as Error);
        return;
      }
      for (const message of messages) {
        if (this.closed) return;
        handlers.onMessage(message);
      }
    });
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** False when the connection is closed (or was just cut off). */
  send(frame: Buffer): boolean {
    if (this.closed) return false;
    // What this tick queued behind the cork is not the peer's backlog.
    if (this.socket.writableLength - this.queuedThisTick > this.maxUnsentBytes) {
      this.destroy(new Error(`the peer left more than ${this.maxUnsentBytes} bytes unread`));
      return false;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.queuedThisTick = 0;
        this.socket.uncork();
      });
    }
    this.queuedThisTick += frame.length;
    this.socket.write(frame);
    return true;
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.handlers.onClose(error);
  }
}
