import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import {
  decoyPasswordHash,
  hashPassword,
  hashPasswordFromStream,
  isPasswordHash,
  verifyPassword,
} from './password-hash.js';

const FORMAT = /^scrypt\$8192\$8\$2\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/;

describe('hashPassword and verifyPassword', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format with a fresh salt each time', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    assert.match(a, FORMAT);
    assert.notEqual(a, b);
    assert.ok(isPasswordHash(a));
  });

  it('verifies the right password and refuses wrong ones', async () => {
    const hash = await hashPassword('pässwörd 日本');
    assert.equal(await verifyPassword('pässwörd 日本', hash), true);
    assert.equal(await verifyPassword('pässwörd 日', hash), false);
    assert.equal(await verifyPassword('', hash), false);
    assert.equal(await verifyPassword('PÄSSWÖRD 日本', hash), false);
  });

  it('accepts other sound parameters', async () => {
    const hash = await hashPassword('x');
    const [, , , , salt, key] = hash.split('$');
    // A hash made with other parameters must not verify with the same salt and key.
    assert.equal(await verifyPassword('x', `scrypt$1024$8$1$${salt}$${key}`), false);
    assert.ok(isPasswordHash(`scrypt$1024$8$1$${salt}$${key}`));
  });

  it('returns false for a malformed hash without throwing', async () => {
    const good = await hashPassword('x');
    const [, , , , salt, key] = good.split('$');
    const bad = [
      '',
      'x',
      'plaintext',
      `bcrypt$16384$8$1$${salt}$${key}`,
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16384$8$1$${salt}$${key}$extra`,
      `scrypt$16383$8$1$${salt}$${key}`, // N not a power of 2
      `scrypt$1073741824$8$1$${salt}$${key}`, // N too big: would cost gigabytes
      `scrypt$16384$999$1$${salt}$${key}`,
      `scrypt$16384$8$99$${salt}$${key}`,
      `scrypt$016384$8$1$${salt}$${key}`,
      `scrypt$-16384$8$1$${salt}$${key}`,
      `scrypt$16384$8$1$!!!$${key}`,
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$${salt}$AAAA`, // key too short
      `scrypt$16384$8$1$QUFB$${key}`, // salt too short
    ];
    for (const hash of bad) {
      assert.equal(isPasswordHash(hash), false, hash);
      assert.equal(await verifyPassword('x', hash), false, hash);
    }
  });

  it('has a decoy hash that is well formed and matches nothing obvious', async () => {
    assert.match(decoyPasswordHash, FORMAT);
    assert.equal(await verifyPassword('', decoyPasswordHash), false);
    assert.equal(await verifyPassword('password', decoyPasswordHash), false);
  });
});

describe('hashPasswordFromStream', () => {
  it('hashes the first line of the input, without its LF or CRLF', async () => {
    const hash = await hashPasswordFromStream(
      Readable.from([Buffer.from('top sec'), Buffer.from('ret\r\nignored\n')]),
    );
    assert.ok(await verifyPassword('top secret', hash));
    const noNewline = await hashPasswordFromStream(Readable.from([Buffer.from('abc')]));
    assert.ok(await verifyPassword('abc', noNewline));
  });

  it('rejects an empty or too long password', async () => {
    for (const input of ['', '\n', '\r\n', 'x'.repeat(2000)]) {
      await assert.rejects(hashPasswordFromStream(Readable.from([Buffer.from(input)])), (err: unknown) =>
        isError(err, errors.CLI_USAGE),
      );
    }
  });
});
