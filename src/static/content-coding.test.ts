import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  acceptedCodings,
  compressBuffer,
  createCompressor,
  isCompressibleType,
  parseAcceptEncoding,
} from './content-coding.js';

describe('Accept-Encoding', () => {
  it('parses codings with weights, lower-cased, x-gzip as gzip, malformed weights skipped', () => {
    const weights = parseAcceptEncoding('BR;q=0.8, x-gzip, identity;q=0, *;q=0.1, deflate;q=2, zstd;q=abc');
    assert.deepEqual(
      [...weights],
      [
        ['br', 0.8],
        ['gzip', 1],
        ['identity', 0],
        ['*', 0.1],
      ],
    );
  });

  const cases: Array<[string | undefined, string[]]> = [
    [undefined, ['identity']],
    ['', ['identity']],
    ['gzip, deflate, br, zstd', ['br', 'gzip', 'identity']],
    ['gzip', ['gzip', 'identity']],
    ['gzip;q=0.5, br;q=0.9', ['br', 'gzip', 'identity']],
    ['br;q=0.2, identity', ['identity', 'br']],
    ['br;q=0, gzip', ['gzip', 'identity']],
    ['*', ['br', 'gzip', 'identity']],
    ['*;q=0.5, gzip;q=0', ['br', 'identity']],
    ['identity;q=0', []],
    ['gzip, identity;q=0', ['gzip']],
    ['*;q=0', []],
    ['*;q=0, identity', ['identity']],
    ['deflate', ['identity']],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} accepts ${expected.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(acceptedCodings(value), expected);
    });
  }
});

describe('compression', () => {
  it('knows compressible types', () => {
    for (const type of [
      'text/html; charset=utf-8',
      'application/json',
      'text/javascript',
      'image/svg+xml',
      'application/wasm',
      'application/ld+json',
    ]) {
      assert.ok(isCompressibleType(type), type);
    }
    for (const type of [
      'image/png',
      'application/gzip',
      'font/woff2',
      'application/octet-stream',
      'video/mp4',
    ]) {
      assert.ok(!isCompressibleType(type), type);
    }
  });

  it('compresses buffers and streams that decompress to the input', async () => {
    const text = Buffer.from('tandem '.repeat(1000));
    const br = await compressBuffer('br', text);
    const gz = await compressBuffer('gzip', text);
    assert.ok(br.length < text.length / 10 && gz.length < text.length / 10);
    assert.deepEqual(brotliDecompressSync(br), text);
    assert.deepEqual(gunzipSync(gz), text);
    const streamed = await buffer(Readable.from([text]).pipe(createCompressor('br', text.length)));
    assert.deepEqual(brotliDecompressSync(streamed), text);
  });
});
