import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { ROOT } from './support/processes.js';

/** The Node release lines Tandem supports; each must install every package npm installs here without EBADENGINE. */
const SUPPORTED_LINES = ['20', '22', '24'];

interface LockedPackage {
  engines?: { node?: string };
}

test('every package in package-lock.json accepts the first release of each supported Node line', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  };
  const refusals: string[] = [];
  for (const line of SUPPORTED_LINES) {
    const node = semver.minVersion(`>=${line}`)!.version;
    assert.ok(semver.satisfies(node, manifest.engines.node), `package.json engines refuses Node ${node}`);
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
