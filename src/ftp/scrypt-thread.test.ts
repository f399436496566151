import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errors, isError } from '../errors/catalogue.js';
import { ScryptThread } from './scrypt-thread.js';

const OPTIONS = { N: 1024, r: 8, p: 1 };
const salt = Buffer.from('0123456789abcdef');

describe('ScryptThread', () => {
  it('derives the same keys as node:crypto, for calls made at once, each answered with its own', async () => {
    const thread = new ScryptThread();
    try {
      const passwords = Array.from({ length: 12 }, (_, i) => `pässword ${i}`);
      const keys = await Promise.all(passwords.map((pw) => thread.derive(pw, salt, 32, OPTIONS)));
      passwords.forEach((pw, i) => {
        assert.ok(Buffer.isBuffer(keys[i]));
        assert.deepEqual(keys[i], scryptSync(pw, salt, 32, OPTIONS));
      });
    } finally {
      await thread.close();
    }
  });

  it('rejects a call scrypt refuses with FTP_PASSWORD_CHECK naming why, and goes on serving', async () => {
    const thread = new ScryptThread();
    try {
      await assert.rejects(thread.derive('x', salt, 32, { N: 1 << 16, r: 8, p: 1, maxmem: 1024 }), (err) => {
        assert.ok(isError(err, errors.FTP_PASSWORD_CHECK));
        assert.match((err as Error).message, /memory/i);
        return true;
      });
      assert.deepEqual(await thread.derive('y', salt, 16, OPTIONS), scryptSync('y', salt, 16, OPTIONS));
    } finally {
      await thread.close();
    }
  });

  it('close() rejects the calls still waiting, and the next call starts a new thread', async () => {
    const thread = new ScryptThread();
    const waiting = thread.derive('slow', salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
    const rejected = assert.rejects(waiting, (err) => isError(err, errors.FTP_PASSWORD_CHECK));
    await thread.close();
    await rejected;
    assert.deepEqual(await thread.derive('z', salt, 32, OPTIONS), scryptSync('z', salt, 32, OPTIONS));
    await thread.close();
  });

  it('does not keep the process alive once its calls are answered', () => {
    const module = fileURLToPath(new URL('./scrypt-thread.ts', import.meta.url));
    const script = `import { ScryptThread } from ${JSON.stringify(module)};
      const key = await new ScryptThread().derive('pw', Buffer.from('saltsalt'), 8, { N: 1024, r: 8, p: 1 });
      console.log(key.toString('hex'));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.signal, null, 'the process had to be killed: the thread kept it alive');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), scryptSync('pw', 'saltsalt', 8, { N: 1024, r: 8, p: 1 }).toString('hex'));
  });
});
