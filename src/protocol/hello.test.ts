import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, HEADER_SIZE } from './frame-codec.js';
import { DEFAULT_LIMITS, encodeHello, readHello } from './hello.js';

describe('HELLO', () => {
  test('encodes this end limits and reads them back', () => {
    const limits = { maxFrameSize: 32768, initialWindow: 65536, maxStreams: 8 };
    const frame = encodeHello(limits);
    assert.deepEqual(readHello(JSON.parse(frame.subarray(HEADER_SIZE).toString())), limits);
  });

  test('absent limits take the defaults', () => {
    assert.deepEqual(readHello({ protocol: 'tandem', version: 1 }), DEFAULT_LIMITS);
  });

  test('another protocol or version is UNSUPPORTED_VERSION, naming what was sent', () => {
    const result = readHello({ protocol: 'fcgi', version: 1 });
    assert.ok('code' in result);
    assert.equal(result.code, ErrorCode.UNSUPPORTED_VERSION);
    assert.match(result.message, /unsupported protocol "fcgi" version 1/);
    assert.ok('code' in readHello({ protocol: 'tandem', version: 2 }));
  });

  test('a limit out of range or not an integer is PROTOCOL_ERROR naming the key and the range', () => {
    for (const [key, value] of [
      ['maxFrameSize', 1024],
      ['maxFrameSize', 2 ** 31],
      ['initialWindow', -1],
      ['initialWindow', 1.5],
      ['maxStreams', 0],
      ['maxStreams', '8'],
    ] as const) {
      const result = readHello({ protocol: 'tandem', version: 1, [key]: value });
      assert.ok('code' in result, `${key} ${value}`);
      assert.equal(result.code, ErrorCode.PROTOCOL_ERROR);
      assert.match(result.message, new RegExp(`HELLO ${key} must be an integer from \\d+ to 2147483647`));
    }
  });
});
