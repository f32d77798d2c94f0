/**
 * Reading exported address books whatever their encoding: Google writes UTF-8
 * (with or without a BOM), Outlook UTF-16 or the Windows code page, old vCard 2.1
 * exporters Latin-1.
 */
import { isUtf8 } from 'node:buffer';

export function decodeTextFile(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString('utf8');
  if (b[0] === 0xff && b[1] === 0xfe) return new TextDecoder('utf-16le').decode(b.subarray(2));
  if (b[0] === 0xfe && b[1] === 0xff) return new TextDecoder('utf-16be').decode(b.subarray(2));
  if (isUtf8(b)) return b.toString('utf8');
  return new TextDecoder('windows-1252').decode(b);
}
