#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test, TypeScript loaded by tsx.
// Node 20's test runner does not expand globs itself, so the list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...collect(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...collect('src'), ...collect('test')].sort();
// A test that hangs (a condition that never comes) fails by name after five minutes instead of stalling CI.
// `tandem-source` (a condition of package.json `exports`) makes `tandem/webframe` and the other entry points
// resolve to src/ here, as they do for tsc, so tests of the examples run the source they test, never dist/.
const result = spawnSync(
  process.execPath,
  [
    '--conditions=tandem-source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...files,
  ],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
