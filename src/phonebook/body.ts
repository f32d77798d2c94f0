/**
 * Reading a phone book a phone PUT. RFC 4825 wants UTF-8; a phone that declares
 * ISO-8859-1 (or sends Latin-1 bytes without saying so) produced that document
 * itself, so it is transcoded rather than refused.
 */
import { isUtf8 } from 'node:buffer';
import { decodeUtf8Body } from '../xcap/operations.js';

const LATIN1_NAMES = /^(iso-?8859-?1|iso_8859-1|latin-?1|l1|windows-1252|cp-?1252|us-ascii|ascii)$/i;
const DECLARATION = /^<\?xml[^?]*?\bencoding\s*=\s*(["'])([^"']*)\1/;

export interface DecodedBody {
  readonly text: string;
  /** Set when the body had to be transcoded, for the response's warnings. */
  readonly note: string | null;
}

export function decodePhonebookBody(body: Uint8Array): DecodedBody {
  let bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const head = bytes.subarray(0, 256).toString('latin1');
  const declared = DECLARATION.exec(head)?.[2] ?? null;
  const latin1Declared = declared !== null && LATIN1_NAMES.test(declared);
  if (!latin1Declared) {
    if (isUtf8(bytes)) return { text: decodeUtf8Body(bytes), note: null };
    // Only Latin-1 is guessed; a body that declares another encoding is refused as not-utf-8.
    if (declared !== null && !/^utf-?8$/i.test(declared)) return { text: decodeUtf8Body(bytes), note: null };
  }
  const text = new TextDecoder('windows-1252').decode(bytes);
  const fixed = declared === null ? text : text.replace(DECLARATION, (m, q: string) => m.replace(/encoding\s*=\s*(["'])[^"']*\1/, `encoding=${q}UTF-8${q}`));
  return {
    text: fixed,
    note: latin1Declared ? `the body was ${declared}; stored as UTF-8` : 'the body was not UTF-8; read as Windows-1252 and stored as UTF-8',
  };
}
