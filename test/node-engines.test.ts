import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { ROOT } from './support/processes.js';

/** The Node release lines Tandem supports; each must install every package npm installs here without EBADENGINE. */
const SUPPORTED_LINES = ['20', '22', '24'];

/** What Tandem and its tests use that a Node release may lack, and the first Node 20 release that has it. */
const NEEDS: Array<{ what: string; since: string }> = [
  { what: 'node:module register (the app loader, src/webframe/app-loader.ts)', since: '20.6.0' },
  { what: 'node --import (scripts/run-tests.mjs, the thread bootstrap under tsx)', since: '20.6.0' },
  { what: 'import.meta.dirname (unit tests)', since: '20.11.0' },
  { what: 'node --test-timeout (scripts/run-tests.mjs)', since: '20.11.0' },
];

interface LockedPackage {
  engines?: { node?: string };
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

test('package.json engines refuses every Node release that lacks something Tandem uses', () => {
  const first = semver.minVersion(manifest.engines.node)!.version;
  for (const need of NEEDS) {
    assert.ok(
      semver.gte(first, need.since),
      `engines "${manifest.engines.node}" accepts Node ${first}, which lacks ${need.what} (Node ${need.since})`,
    );
  }
});

test('every package in package-lock.json accepts the first release of each supported Node line that engines accepts', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  };
  assert.equal(lock.packages['']?.engines?.node, manifest.engines.node, 'package-lock.json engines');
  const refusals: string[] = [];
  for (const line of SUPPORTED_LINES) {
    const node = semver.minVersion(`>=${line} ${manifest.engines.node}`)!.version;
    assert.equal(semver.major(node), Number(line), `package.json engines accepts no Node ${line}`);
    for (const [path, locked] of Object.entries(lock.packages)) {
      const wanted = locked.engines?.node;
      // npm checks the engines of what it installs: an optional package for another platform (a wasm32
      // build) is locked but never installed here, so it cannot refuse this Node.
      const installed = existsSync(join(ROOT, path));
      if (path !== '' && installed && wanted !== undefined && !semver.satisfies(node, wanted)) {
        refusals.push(`${path} wants node ${wanted}, refuses ${node}`);
      }
    }
  }
  assert.deepEqual(refusals, []);
});
