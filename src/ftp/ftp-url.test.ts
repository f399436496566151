import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isError } from '../errors/catalogue.js';
import { ANONYMOUS_PASSWORD, parseFtpUrl } from './ftp-url.js';

describe('parseFtpUrl', () => {
  test('anonymous by default, port 21, path /', () => {
    assert.deepEqual(parseFtpUrl('ftp://example.org', {}), {
      host: 'example.org',
      port: 21,
      user: 'anonymous',
      password: ANONYMOUS_PASSWORD,
      path: '/',
    });
  });

  test('decodes user, password and path; keeps the port', () => {
    const target = parseFtpUrl('ftp://j%C3%B6rg:p%40ss%3Aw0rd@127.0.0.1:2121/dir%20x/caf%C3%A9.txt', {});
    assert.equal(target.user, 'jörg');
    assert.equal(target.password, 'p@ss:w0rd');
    assert.equal(target.port, 2121);
    assert.equal(target.path, '/dir x/café.txt');
  });

  test('password from TANDEM_FTP_PASSWORD when the URL has a user but no password', () => {
    assert.equal(parseFtpUrl('ftp://bob@h/f', { TANDEM_FTP_PASSWORD: 's3cret' }).password, 's3cret');
    assert.equal(parseFtpUrl('ftp://bob:url@h/f', { TANDEM_FTP_PASSWORD: 's3cret' }).password, 'url');
    assert.equal(parseFtpUrl('ftp://bob@h/f', {}).password, '');
    assert.equal(parseFtpUrl('ftp://bob@h/f', {}).passwordMissing, true);
    assert.equal(parseFtpUrl('ftp://bob@h/f', { TANDEM_FTP_PASSWORD: '' }).passwordMissing, undefined);
    // Never sent to an anonymous server.
    assert.equal(parseFtpUrl('ftp://h/f', { TANDEM_FTP_PASSWORD: 's3cret' }).password, ANONYMOUS_PASSWORD);
  });

  test('IPv6 host without brackets', () => {
    const target = parseFtpUrl('ftp://[::1]:2121/a', {});
    assert.equal(target.host, '::1');
    assert.equal(target.port, 2121);
  });

  test('refuses other schemes, bad encodings and CR/LF/NUL injection', () => {
    for (const url of [
      'http://h/f',
      'not a url',
      'ftp://h/%zz',
      'ftp://h/a%0D%0ADELE%20b',
      'ftp://h/a%0Ab',
      'ftp://h/a%00b',
      'ftp://u%0D%0A:p@h/f',
      'ftp://u:p%0Ax@h/f',
    ]) {
      assert.throws(
        () => parseFtpUrl(url, {}),
        (err) => isError(err, { code: 'CLI_USAGE' }),
        url,
      );
    }
  });
});
