// The one request shape the connection front reads itself: a whole GET or HEAD head in
// HTTP/1.1, alone in what the socket delivered, with a Host and nothing that needs judging.
// It refuses rather than decides: whatever is not exactly that (a body, a head cut in two
// reads, a second request behind the first, HTTP/1.0, a folded or malformed line, a bare CR
// or LF, `Connection: close`) is undefined, and Node's parser takes the connection with the
// bytes untouched, so every such request meets Node's own rules and Vigil's full stack.

import { isToken } from '../shared/http-token.ts';

export interface RequestHead {
  readonly method: 'GET' | 'HEAD';
  /** The request target as sent (origin form: it starts with `/`). */
  readonly target: string;
  /** Names and values in order, as node's `req.rawHeaders` holds them (values without surrounding blanks). */
  readonly rawHeaders: readonly string[];
}

/** What the front writes for a head: the status line, these header lines, Date and Connection as Node adds them, the body. */
export interface FrontAnswer {
  readonly status: number;
  /** Header lines, each ending in CRLF. */
  readonly headers: string;
  /** Empty for HEAD. */
  readonly body: string;
}

/** Larger heads go to Node (its limit, 16 KiB, and its 431 apply to them). */
export const MAX_FRONT_HEAD_BYTES = 8 * 1024;
/** More header lines than this go to Node. */
const MAX_FRONT_HEADERS = 64;

/** Field value characters: HTAB, SP, VCHAR and obs-text (RFC 9110 5.5); no other control character. */
const VALUE = new Uint8Array(256);
VALUE[0x09] = 1;
for (let code = 0x20; code <= 0xff; code += 1) if (code !== 0x7f) VALUE[code] = 1;

const SP = 32;
const HTAB = 9;
const VERSION = ' HTTP/1.1\r\n';

function isBlank(code: number): boolean {
  return code === SP || code === HTAB;
}

/**
 * `text` (the bytes as latin1, one character per byte) as a request head, or undefined when it
 * is anything but one complete, plain GET or HEAD head ending exactly where the text ends.
 */
export function parseRequestHead(text: string): RequestHead | undefined {
  const length = text.length;
  if (length > MAX_FRONT_HEAD_BYTES || length < 20 || !text.endsWith('\r\n\r\n')) return undefined;
  let method: 'GET' | 'HEAD';
  let at: number;
  if (text.startsWith('GET /')) {
    method = 'GET';
    at = 4;
  } else if (text.startsWith('HEAD /')) {
    method = 'HEAD';
    at = 5;
  } else {
    return undefined;
  }
  const targetEnd = text.indexOf(' ', at);
  if (targetEnd === -1) return undefined;
  for (let i = at; i < targetEnd; i += 1) {
    const code = text.charCodeAt(i);
    if (code <= SP || code >= 0x7f) return undefined;
  }
  if (!text.startsWith(VERSION, targetEnd)) return undefined;
  const target = text.slice(at, targetEnd);
  const rawHeaders: string[] = [];
  let hosts = 0;
  let line = targetEnd + VERSION.length;
  // Each line up to its CRLF; the empty line ends the head, and must be the text's end.
  while (line < length) {
    const end = text.indexOf('\r\n', line);
    if (end === line) return end + 2 === length && hosts === 1 ? { method, target, rawHeaders } : undefined;
    if (rawHeaders.length >= MAX_FRONT_HEADERS * 2) return undefined;
    const colon = text.indexOf(':', line);
    if (colon === -1 || colon >= end || !isToken(text, line, colon)) return undefined;
    let from = colon + 1;
    let to = end;
    while (from < to && isBlank(text.charCodeAt(from))) from += 1;
    while (to > from && isBlank(text.charCodeAt(to - 1))) to -= 1;
    for (let i = from; i < to; i += 1) if (VALUE[text.charCodeAt(i)] !== 1) return undefined;
    const name = text.slice(line, colon);
    const value = text.slice(from, to);
    if (name.length === 4 && name.toLowerCase() === 'host') hosts += 1;
    // Anything but keep-alive (close, upgrade, a list) changes how the connection goes on.
    if (name.length === 10 && name.toLowerCase() === 'connection' && value.toLowerCase() !== 'keep-alive') return undefined;
    rawHeaders.push(name, value);
    line = end + 2;
  }
  return undefined;
}
