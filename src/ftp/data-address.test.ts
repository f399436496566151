import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { canonicalAddress, parseEprtArg, parsePortArg } from './data-address.js';

const syntax = (err: unknown) => isError(err, errors.FTP_PORT_SYNTAX) && err.status === 501;

describe('PORT argument', () => {
  test('parses h1,h2,h3,h4,p1,p2', () => {
    assert.deepEqual(parsePortArg('127,0,0,1,4,1'), { host: '127.0.0.1', port: 1025 });
    assert.deepEqual(parsePortArg(' 192,168,1,20,255,255 '), { host: '192.168.1.20', port: 65535 });
  });

  test('rejects bad syntax with 501', () => {
    for (const arg of [
      '',
      '1,2,3,4,5',
      '1,2,3,4,5,6,7',
      '256,0,0,1,1,1',
      '1,2,3,4,256,1',
      'a,b,c,d,e,f',
      '1,2,3,4,-1,5',
      '1,2,3,4,1.5,5',
      '1,,3,4,5,6',
      '0x7f,0,0,1,4,1',
      '1111,0,0,1,4,1',
    ]) {
      assert.throws(() => parsePortArg(arg), syntax, arg);
    }
  });
});

describe('EPRT argument', () => {
  test('parses IPv4 and IPv6 forms (RFC 2428 examples)', () => {
    assert.deepEqual(parseEprtArg('|1|132.235.1.2|6275|'), { host: '132.235.1.2', port: 6275 });
    assert.deepEqual(parseEprtArg('|2|1080::8:800:200C:417A|5282|'), {
      host: '1080::8:800:200C:417A',
      port: 5282,
    });
    assert.deepEqual(parseEprtArg('|2|::1|2000|'), { host: '::1', port: 2000 });
    assert.deepEqual(parseEprtArg('!1!10.0.0.1!1024!'), { host: '10.0.0.1', port: 1024 });
  });

  test('rejects bad syntax with 501', () => {
    for (const arg of [
      '',
      '|1|1.2.3.4|5000',
      '1|1.2.3.4|5000|',
      '|1|1.2.3.4|5000|x',
      '|1|::1|5000|',
      '|2|1.2.3.4|5000|',
      '|1|1.2.3|5000|',
      '|1|1.2.3.4|0|',
      '|1|1.2.3.4|65536|',
      '|1|1.2.3.4|-1|',
      '|1|1.2.3.4||',
      '|x|1.2.3.4|5000|',
      '1.2.3.4',
    ]) {
      assert.throws(() => parseEprtArg(arg), syntax, arg);
    }
  });

  test('an unknown network protocol is 522', () => {
    assert.throws(
      () => parseEprtArg('|3|1.2.3.4|5000|'),
      (err) => isError(err, errors.FTP_NETWORK_PROTOCOL) && err.status === 522,
    );
  });
});

describe('canonicalAddress', () => {
  test('makes spellings of one address equal', () => {
    assert.equal(canonicalAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('::FFFF:7f00:1'), '127.0.0.1');
    assert.equal(canonicalAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalAddress('fe80::1%lo'), 'fe80::1');
    assert.equal(canonicalAddress('2001:DB8::A'), '2001:db8::a');
    assert.equal(canonicalAddress('not-an-ip'), 'not-an-ip');
  });
});
