import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errors, isError, TandemError } from '../errors/catalogue.js';
import { loadFtpConfig } from './ftp-config.js';
import { loadFtpConfigOffThread } from './load-ftp-config.js';
import { hashPassword } from './password-hash.js';

describe('loadFtpConfigOffThread', () => {
  let dir: string;

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'tandem-ftp-config-thread-')));
    await mkdir(join(dir, 'srv', 'bob'), { recursive: true });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the config loadFtpConfig gives, deeply frozen', async () => {
    const config = join(dir, 'ok.json');
    const users = [{ name: 'bob', password: await hashPassword('pw'), write: true, home: 'bob' }];
    await writeFile(config, JSON.stringify({ root: 'srv', users, limits: { connections: 7 } }));
    const flags = { config, port: '0', debug: true };
    const loaded = await loadFtpConfigOffThread(flags);
    assert.deepEqual(loaded, loadFtpConfig(flags));
    assert.equal(loaded.limits.connections, 7);
    assert.ok(Object.isFrozen(loaded) && Object.isFrozen(loaded.users[0]) && Object.isFrozen(loaded.limits));
  });

  it('throws the same TandemError, code and message, for a bad config or flag', async () => {
    const config = join(dir, 'bad.json');
    await writeFile(config, JSON.stringify({ users: [{ name: 'bob', password: 'plain' }] }));
    for (const flags of [{ config }, { port: 'x' }, { config: join(dir, 'missing.json') }]) {
      const expected = (() => {
        try {
          loadFtpConfig(flags);
        } catch (err) {
          return err as TandemError;
        }
        throw new Error(`loadFtpConfig accepted ${JSON.stringify(flags)}`);
      })();
      await assert.rejects(loadFtpConfigOffThread(flags), (err) => {
        assert.ok(err instanceof TandemError, String(err));
        assert.equal(err.code, expected.code);
        assert.equal(err.message, expected.message);
        return true;
      });
    }
    await assert.rejects(loadFtpConfigOffThread({ config }), (err) => isError(err, errors.CONFIG_INVALID));
  });
});
