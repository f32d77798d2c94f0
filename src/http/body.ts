/** Reading a request body with a size bound, refusing the rest early. */
import type { IncomingMessage } from 'node:http';
import { BadRequestError, PayloadTooLargeError } from '../xcap/errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.resume();
    throw new PayloadTooLargeError(`the body is larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise<Buffer>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new PayloadTooLargeError(`the body is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)));
    req.on('error', (e) => reject(new BadRequestError(`the request body could not be read: ${e.message}`)));
    req.on('aborted', () => reject(new BadRequestError('the client aborted the request')));
  });
}
