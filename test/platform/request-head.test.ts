// parseRequestHead reads only one complete, plain GET or HEAD head in HTTP/1.1; anything else
// is undefined (Node's parser gets it). One case per row.
import { describe, expect, it } from 'vitest';
import { parseRequestHead } from '../../src/http/request-head.ts';

const HOST = 'Host: a\r\n';

describe('parseRequestHead', () => {
  it.each([
    ['GET', `GET /livez HTTP/1.1\r\n${HOST}\r\n`, { method: 'GET', target: '/livez', rawHeaders: ['Host', 'a'] }],
    ['HEAD', `HEAD /x?y=1 HTTP/1.1\r\n${HOST}\r\n`, { method: 'HEAD', target: '/x?y=1', rawHeaders: ['Host', 'a'] }],
    ['blanks around a value', `GET / HTTP/1.1\r\n${HOST}X-Request-Id: \t id \t\r\n\r\n`, { method: 'GET', target: '/', rawHeaders: ['Host', 'a', 'X-Request-Id', 'id'] }],
    ['names as sent', `GET / HTTP/1.1\r\nhOsT: a\r\nUSER-AGENT: p\r\n\r\n`, { method: 'GET', target: '/', rawHeaders: ['hOsT', 'a', 'USER-AGENT', 'p'] }],
    ['Connection: keep-alive', `GET / HTTP/1.1\r\n${HOST}Connection: Keep-Alive\r\n\r\n`, { method: 'GET', target: '/', rawHeaders: ['Host', 'a', 'Connection', 'Keep-Alive'] }],
    ['an empty value', `GET / HTTP/1.1\r\n${HOST}X-Empty:\r\n\r\n`, { method: 'GET', target: '/', rawHeaders: ['Host', 'a', 'X-Empty', ''] }],
  ])('reads %s', (_name, text, head) => {
    expect(parseRequestHead(text)).toEqual(head);
  });

  it.each([
    ['POST', `POST / HTTP/1.1\r\n${HOST}\r\n`],
    ['a lower-case method', `get / HTTP/1.1\r\n${HOST}\r\n`],
    ['HTTP/1.0', `GET / HTTP/1.0\r\n${HOST}\r\n`],
    ['an absolute-form target', `GET http://a/ HTTP/1.1\r\n${HOST}\r\n`],
    ['no Host', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n'],
    ['two Hosts', `GET / HTTP/1.1\r\n${HOST}${HOST}\r\n`],
    ['Connection: close', `GET / HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`],
    ['a Connection list', `GET / HTTP/1.1\r\n${HOST}Connection: keep-alive, Upgrade\r\n\r\n`],
    ['a head not ended', `GET / HTTP/1.1\r\n${HOST}`],
    ['bytes after the head', `GET / HTTP/1.1\r\n${HOST}\r\nab`],
    ['a second head after the first', `GET / HTTP/1.1\r\n${HOST}\r\nGET / HTTP/1.1\r\n${HOST}\r\n`],
    ['a folded line', `GET / HTTP/1.1\r\n${HOST}X-A: 1\r\n 2\r\n\r\n`],
    ['a blank before the colon', `GET / HTTP/1.1\r\n${HOST}X-A : 1\r\n\r\n`],
    ['no colon', `GET / HTTP/1.1\r\n${HOST}X-A\r\n\r\n`],
    ['an empty name', `GET / HTTP/1.1\r\n${HOST}: 1\r\n\r\n`],
    ['a bare LF', 'GET / HTTP/1.1\nHost: a\n\n'],
    ['a bare CR in a value', `GET / HTTP/1.1\r\n${HOST}X-A: 1\r2\r\n\r\n`],
    ['a NUL in a value', `GET / HTTP/1.1\r\n${HOST}X-A: 1\u00002\r\n\r\n`],
    ['DEL in a value', `GET / HTTP/1.1\r\n${HOST}X-A: 1\u007f\r\n\r\n`],
    ['a control character in the target', 'GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['two spaces after the method', `GET  / HTTP/1.1\r\n${HOST}\r\n`],
    ['a head over 8 KiB', `GET / HTTP/1.1\r\n${HOST}X-A: ${'x'.repeat(8_200)}\r\n\r\n`],
    ['65 header lines', `GET / HTTP/1.1\r\n${HOST}${'X-A: 1\r\n'.repeat(64)}\r\n`],
  ])('leaves %s to Node', (_name, text) => {
    expect(parseRequestHead(text)).toBeUndefined();
  });
});
