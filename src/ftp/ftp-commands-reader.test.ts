import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ControlInput, ControlLineSplitter, MAX_LINE_BYTES } from './ftp-commands-reader.js';

function lines(...chunks: (string | number[])[]): ControlInput[] {
  const splitter = new ControlLineSplitter();
  return chunks.flatMap((chunk) =>
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Uint8Array.from(chunk)),
  );
}

const line = (text: string): ControlInput => ({ kind: 'line', text });

describe('ControlLineSplitter', () => {
  test('splits at CRLF, bare LF and bare CR, and skips empty lines', () => {
    assert.deepEqual(lines('USER a\r\nPASS b\nNOOP\rQUIT\r\n\r\n'), [
      line('USER a'),
      line('PASS b'),
      line('NOOP'),
      line('QUIT'),
    ]);
  });

  test('a CRLF split across chunks is one line end', () => {
    assert.deepEqual(lines('NO', 'OP\r', '\nSYST', '\r\n'), [line('NOOP'), line('SYST')]);
  });

  test('ABOR whose LF went out of band (ftplib sends it with MSG_OOB) is still a line', () => {
    assert.deepEqual(lines('ABOR\r'), [line('ABOR')]);
  });

  test('removes Telnet IAC IP IAC DM before ABOR, also when DM was lost out of band', () => {
    assert.deepEqual(lines([0xff, 0xf4, 0xff, 0xf2], 'ABOR\r\n'), [line('ABOR')]);
    assert.deepEqual(lines([0xff, 0xf4, 0xff], 'ABOR\r\n'), [line('ABOR')]);
    assert.deepEqual(lines([0xff, 0xfb, 0x01], 'NOOP\r\n'), [line('NOOP')]);
  });

  test('IAC IAC is a data byte 0xFF, which makes the line not UTF-8', () => {
    assert.deepEqual(lines([0x41, 0xff, 0xff, 0x0d, 0x0a]), [{ kind: 'not-utf8' }]);
  });

  test('keeps UTF-8 names (RFC 2640)', () => {
    assert.deepEqual(lines('RETR données-日本.txt\r\n'), [line('RETR données-日本.txt')]);
    assert.deepEqual(lines([0x52, 0xc3, 0x28, 0x0a]), [{ kind: 'not-utf8' }]);
  });

  test('a line over the limit is reported once, then the next line is read', () => {
    const long = `RETR ${'x'.repeat(MAX_LINE_BYTES)}`;
    assert.deepEqual(lines(long.slice(0, 3000), long.slice(3000), '\r\nNOOP\r\n'), [
      { kind: 'too-long' },
      line('NOOP'),
    ]);
    assert.deepEqual(lines(`${'y'.repeat(MAX_LINE_BYTES)}\n`), [line('y'.repeat(MAX_LINE_BYTES))]);
  });
});
