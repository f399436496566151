import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errors, isError, TandemError } from './catalogue.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/** The text of every module of src/ but the catalogue and the tests. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name === 'catalogue.ts')
      return [];
    return [readFileSync(path, 'utf8')];
  });
}

test('an entry makes a TandemError with its code, message and status', () => {
  const err = errors.HTTP_NOT_FOUND('/x');
  assert.ok(err instanceof TandemError);
  assert.deepEqual([err.code, err.message, err.status], ['HTTP_NOT_FOUND', 'Not found: /x', 404]);
  assert.ok(isError(err, errors.HTTP_NOT_FOUND));
  assert.ok(!isError(err, errors.HTTP_FORBIDDEN));
});

test('every entry of the catalogue is raised somewhere in src/: none is dead', () => {
  const text = sources(SRC).join('\n');
  const dead = Object.keys(errors).filter((code) => !new RegExp(`\\b${code}\\b`).test(text));
  assert.deepEqual(dead, []);
});
