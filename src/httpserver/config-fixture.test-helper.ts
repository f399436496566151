import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';

/** Asserts that loading rejects with CONFIG_INVALID and the exact message. */
export async function rejectsInvalid(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isError(err, errors.CONFIG_INVALID), String(err));
    assert.equal(err.message, message);
    return true;
  });
}

/** Asserts that `promise` rejects with a usage error (a bad flag, exit status 2) whose message is `message`. */
export async function rejectsUsage(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isError(err, errors.CLI_USAGE), String(err));
    assert.equal(err.message, message);
    return true;
  });
}

/** A temporary folder for config files, made before the calling suite's tests and removed after them. */
export interface ConfigDir {
  /** The folder (set once the suite's `before` hooks ran). */
  readonly path: string;
  /** Writes `content` (JSON unless a string) to `name` in the folder and returns the file's path. */
  configFile(name: string, content: unknown): Promise<string>;
}

/** Registers, in the calling describe, hooks that make and remove a ConfigDir. */
export function configDir(): ConfigDir {
  let path = '';
  before(async () => {
    path = await mkdtemp(join(tmpdir(), 'tandem-httpserver-config-'));
  });
  after(async () => {
    await rm(path, { recursive: true, force: true });
  });
  return {
    get path() {
      return path;
    },
    async configFile(name, content) {
      const file = join(path, name);
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    },
  };
}
