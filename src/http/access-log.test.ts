import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { type AccessLogEntry, createAccessLog, formatCombined } from './access-log.js';

const base: AccessLogEntry = {
  remote: '127.0.0.1',
  time: new Date(Date.UTC(2026, 10, 21, 5, 4, 43, 999)),
  method: 'GET',
  target: '/hi',
  version: '1.1',
  status: 200,
  bytes: 612,
  userAgent: 'curl/7.88.1',
};

describe('formatCombined', () => {
  it('writes the Combined Log Format as nginx does', () => {
    assert.equal(
      formatCombined(base),
      '127.0.0.1 - - [21/Nov/2026:05:04:43 +0000] "GET /hi HTTP/1.1" 200 612 "-" "curl/7.88.1"',
    );
  });

  it('writes the user, the referer, a full version and 0 bytes', () => {
    const line = formatCombined({
      ...base,
      user: 'alice',
      version: 'HTTP/1.0',
      bytes: 0,
      status: 304,
      referer: 'http://example.com/',
      time: new Date(Date.UTC(2027, 0, 2, 23, 9, 8)),
    });
    assert.equal(
      line,
      '127.0.0.1 - alice [02/Jan/2027:23:09:08 +0000] "GET /hi HTTP/1.0" 304 0 "http://example.com/" "curl/7.88.1"',
    );
  });

  it('uses - for missing or empty fields', () => {
    const line = formatCombined({ ...base, userAgent: undefined, referer: '', user: '' });
    assert.ok(line.endsWith('612 "-" "-"'), line);
    assert.ok(line.startsWith('127.0.0.1 - - ['), line);
  });

  it('escapes quotes, backslashes, control and non-ASCII bytes as \\xHH', () => {
    const line = formatCombined({
      ...base,
      target: '/a"b\\c\x01\x7f',
      userAgent: 'x"\ny\té',
      referer: '€',
    });
    assert.ok(line.includes('"GET /a\\x22b\\x5Cc\\x01\\x7F HTTP/1.1"'), line);
    assert.ok(line.endsWith('"\\xE2\\x82\\xAC" "x\\x22\\x0Ay\\x09\\xE9"'), line);
    assert.ok(!line.includes('\n'));
  });

  it('formats each second of time correctly though it caches', () => {
    const a = formatCombined({ ...base, time: new Date(Date.UTC(2026, 4, 1, 0, 0, 0)) });
    const b = formatCombined({ ...base, time: new Date(Date.UTC(2026, 4, 1, 0, 0, 1)) });
    assert.match(a, /\[01\/May\/2026:00:00:00 \+0000\]/);
    assert.match(b, /\[01\/May\/2026:00:00:01 \+0000\]/);
  });
});

describe('createAccessLog', () => {
  it('writes the lines of one event-loop turn in one write', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    const log = createAccessLog(stream);
    log(base);
    log({ ...base, target: '/two' });
    assert.equal(writes.length, 0, 'nothing is written synchronously');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 1);
    assert.equal(writes[0], `${formatCombined(base)}\n${formatCombined({ ...base, target: '/two' })}\n`);
    log({ ...base, target: '/three' });
    log.flush();
    assert.equal(writes.length, 2);
    assert.equal(writes[1], `${formatCombined({ ...base, target: '/three' })}\n`);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 2, 'the scheduled flush finds nothing pending');
  });
});
