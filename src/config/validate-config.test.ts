import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { addressSchema, hostSchema, validateConfig } from './validate-config.js';

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

describe('addressSchema and hostSchema', () => {
  it('parse IPv4, host names and bracketed IPv6', () => {
    assert.deepEqual(addressSchema.parse('10.0.0.1:1'), { host: '10.0.0.1', port: 1 });
    assert.deepEqual(addressSchema.parse('web-1.example.com:65535'), {
      host: 'web-1.example.com',
      port: 65535,
    });
    assert.deepEqual(addressSchema.parse('[fe80::1]:8806'), { host: 'fe80::1', port: 8806 });
    assert.equal(hostSchema.parse('[::1]'), '::1');
    assert.equal(hostSchema.parse('localhost'), 'localhost');
  });

  it('reject malformed ones', () => {
    for (const bad of [
      ':8806',
      'host:',
      '-a.com:80',
      'a..b:80',
      '1.2.3.4:+80',
      '[::1]:',
      `${'x'.repeat(64)}:80`,
    ]) {
      assert.equal(addressSchema.safeParse(bad).success, false, bad);
    }
    for (const bad of ['', 'a b', '::1]', '[1.2.3.4]'])
      assert.equal(hostSchema.safeParse(bad).success, false, bad);
  });
});
