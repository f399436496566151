import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { errors, isError } from '../errors/catalogue.js';
import { intRange } from './config-schemas.js';
import { validateConfig, validateFlag } from './validate-config.js';

describe('validateConfig', () => {
  const schema = z.strictObject({ name: z.string(), inner: z.strictObject({ n: z.number().max(3) }) });

  it('returns the parsed value deeply frozen', () => {
    const value = validateConfig(schema, { name: 'a', inner: { n: 1 } }, 'x.json');
    assert.deepEqual(value, { name: 'a', inner: { n: 1 } });
    assert.ok(Object.isFrozen(value) && Object.isFrozen(value.inner));
  });

  it('describes issues of schemas without custom messages', () => {
    assert.throws(() => validateConfig(schema, { name: 1, inner: { n: 1 } }, 'x.json'), {
      code: 'CONFIG_INVALID',
      message: 'x.json: key "name": expected a string, got 1',
    });
    assert.throws(() => validateConfig(schema, { name: 'a', inner: { n: 4 } }, 'x.json'), {
      message: 'x.json: key "inner.n": expected at most 3, got 4',
    });
    assert.throws(() => validateConfig(schema, { name: 'a' }, 'x.json'), {
      message: 'x.json: key "inner": expected an object, got nothing',
    });
    assert.throws(() => validateConfig(schema, { name: 'a', inner: { n: 1, m: 2 } }, 'x.json'), {
      message: 'x.json: key "inner.m": unknown key; expected one of n',
    });
  });

  it('shortens a long received value', () => {
    assert.throws(
      () => validateConfig(schema, { name: 'a', inner: { n: 'y'.repeat(200) } }, 'x.json'),
      (err: Error) => {
        assert.equal(err.message, `x.json: key "inner.n": expected a number, got "${'y'.repeat(76)}...`);
        return true;
      },
    );
  });
});

describe('validateFlag', () => {
  const port = intRange(0, 65535);

  it('reads plain decimal digits as a number where the schema wants one, other text as given', () => {
    assert.equal(validateFlag(port, '8080', '--port'), 8080);
    assert.equal(validateFlag(z.string(), '8080', '--name'), '8080');
    for (const [text, got] of [
      ['65536', '65536'],
      ['abc', '"abc"'],
      ['0x10', '"0x10"'],
      ['', '""'],
    ]) {
      assert.throws(
        () => validateFlag(port, text, '--port'),
        (err: unknown) =>
          isError(err, errors.CLI_USAGE) &&
          err.message === `--port: expected an integer from 0 to 65535, got ${got}`,
      );
    }
  });
});
