import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressSchema, hostSchema } from './config-schemas.js';

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
