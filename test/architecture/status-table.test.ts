// The README's table of statuses and HTTP codes is the documentation of the one module that
// owns the rules (src/render/status-rules.ts): both must say the same, word for word.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILY_HTTP_CODES } from '../../src/render/status-rules.ts';

const HEADING = "How each document's statuses map to HTTP codes";

/** endpoint -> word -> HTTP code, as the README's table says. */
function readmeTable(): Record<string, Record<string, number>> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(HEADING);
  if (start < 0) throw new Error(`README.md has no "${HEADING}" table`);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > first && !line.startsWith('|'));
  const rows = lines.slice(first, end);
  const table: Record<string, Record<string, number>> = {};
  for (const row of rows.slice(2)) {
    const [endpoints = '', words = '', code = ''] = row.split('|').slice(1, -1).map((cell) => cell.trim());
    const http = Number(/^\d{3}/.exec(code)?.[0]);
    if (!Number.isInteger(http)) throw new Error(`README status table: no HTTP code in row ${row}`);
    for (const endpoint of [...endpoints.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)) {
      for (const word of [...words.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)) {
        (table[endpoint] ??= {})[word] = http;
      }
    }
  }
  return table;
}

function moduleTable(): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const family of Object.values(FAMILY_HTTP_CODES)) {
    for (const endpoint of family.endpoints) table[endpoint] = { ...family.codes };
  }
  return table;
}

describe("the README's status table", () => {
  it('lists every endpoint, word and HTTP code of the status rules, and nothing else', () => {
    expect(readmeTable()).toEqual(moduleTable());
  });

  it('is read as a table (a broken table would make the comparison vacuous)', () => {
    expect(Object.keys(readmeTable()).length).toBeGreaterThanOrEqual(9);
  });
});
