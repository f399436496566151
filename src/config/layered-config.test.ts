import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { errors, isError } from '../errors/catalogue.js';
import type { ModelName } from '../net/types.js';
import {
  booleanSchema,
  configObject,
  modelNameSchema,
  portSchema,
  workersIgnoredBy,
  workersSchema,
} from './config-schemas.js';
import { type ConfigSpec, flagRule, loadConfig, readFlags } from './layered-config.js';

/** A config of the shapes every command's has: plain keys, a section, a list that flags add to. */
interface TestConfig {
  port: number;
  debug: boolean;
  model: ModelName;
  workers: number;
  timeouts: { idle: number; send: number };
  tags: readonly string[];
}

const spec: ConfigSpec<TestConfig> = {
  defaults: Object.freeze({
    port: 80,
    debug: false,
    model: 'event',
    workers: 2,
    timeouts: Object.freeze({ idle: 1, send: 2 }),
    tags: Object.freeze(['a']),
  }),
  file: () =>
    configObject({
      port: portSchema,
      debug: booleanSchema,
      model: modelNameSchema,
      workers: workersSchema,
      timeouts: configObject({ idle: portSchema, send: portSchema }),
      tags: z.array(z.string()),
    }),
  flags: {
    port: flagRule('--port', portSchema),
    debug: flagRule('--debug', booleanSchema),
    model: flagRule('--model', modelNameSchema),
    workers: flagRule('--workers', workersSchema),
    tags: { name: '--tag', read: (value) => [String(value)] },
  },
  combine: { tags: (lower, upper) => [...lower, ...upper] },
  ignored: { workers: (config) => workersIgnoredBy(config.model) },
};

describe('loadConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-layered-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function file(name: string, content: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(content));
    return path;
  }

  it('gives the defaults without a file or flags, frozen', () => {
    const config = loadConfig(spec, {});
    assert.deepEqual(config, spec.defaults);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.timeouts));
  });

  it('layers defaults < file < flags, a section key by key, a combined key by its rule', async () => {
    const path = await file('layers.json', {
      port: 81,
      debug: true,
      timeouts: { send: 9 },
      tags: ['from-file'],
    });
    const config = loadConfig(spec, { file: path, flags: readFlags(spec, { port: '82', tags: 'flag' }) });
    assert.deepEqual(config, {
      port: 82,
      debug: true,
      model: 'event',
      workers: 2,
      timeouts: { idle: 1, send: 9 },
      tags: ['a', 'from-file', 'flag'],
    });
    assert.ok(Object.isFrozen(config.timeouts) && Object.isFrozen(config.tags));
  });

  it('takes a file already loaded (a module) by its path and content', () => {
    const config = loadConfig(spec, { file: { path: '/app/settings.ts', content: { port: 83 } } });
    assert.equal(config.port, 83);
    assert.deepEqual(
      loadConfig(spec, { file: { path: '/app/settings.ts', content: undefined } }),
      spec.defaults,
    );
    assert.throws(() => loadConfig(spec, { file: { path: '/app/settings.ts', content: { port: 'x' } } }), {
      message: '/app/settings.ts: key "port": expected an integer from 0 to 65535, got "x"',
    });
  });

  it('refuses a bad file naming the file and key, a bad flag naming the flag (a usage error)', async () => {
    const path = await file('bad.json', { timeouts: { idle: -1 } });
    assert.throws(
      () => loadConfig(spec, { file: path }),
      (err: unknown) =>
        isError(err, errors.CONFIG_INVALID) &&
        err.message === `${path}: key "timeouts.idle": expected an integer from 0 to 65535, got -1`,
    );
    assert.throws(
      () => readFlags(spec, { workers: 'many' }),
      (err: unknown) =>
        isError(err, errors.CLI_USAGE) &&
        err.message === '--workers: expected an integer from 1 to 256, got "many"',
    );
    assert.throws(() => readFlags(spec, { timeouts: '1' }), TypeError, 'no flag reads timeouts: a bug');
  });

  it('warns of a key set to no effect, naming the file and key or the flag; never of a default', async () => {
    const inFile = await file('workers.json', { workers: 3 });
    const warnings: string[] = [];
    const warn = (message: string) => warnings.push(message);
    loadConfig(spec, { file: inFile, warn });
    loadConfig(spec, { flags: readFlags(spec, { workers: '3' }), warn });
    loadConfig(spec, { file: inFile, flags: readFlags(spec, { workers: '4', model: 'loop' }), warn });
    loadConfig(spec, { warn });
    loadConfig(spec, { file: inFile, flags: readFlags(spec, { model: 'prefork' }), warn });
    assert.deepEqual(warnings, [
      `${inFile}: key "workers" is ignored by the event model (only prefork, thread, fork use it)`,
      '--workers is ignored by the event model (only prefork, thread, fork use it)',
      '--workers is ignored by the loop model (only prefork, thread, fork use it)',
    ]);
  });
});
