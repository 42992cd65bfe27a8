// HTTP tokens (RFC 9110 5.6.2), the characters of a header name: read in place by both
// parsers Vigil has (the probe client's answers, the connection front's request heads).

const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[char.charCodeAt(0)] = 1;

/** Whether text[from, to) is a token (not empty), read without making a string of it. */
export function isToken(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) if (TOKEN_CHARS[text.charCodeAt(i)] !== 1) return false;
  return to > from;
}
