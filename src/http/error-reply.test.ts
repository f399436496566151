import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errors, HttpError } from '../errors/catalogue.js';
import { errorReply } from './error-reply.js';

test('a client that asks for no HTML gets the message as one line of plain text', () => {
  for (const accept of [undefined, '*/*', 'application/json', 'text/html;q=0', 'text/html; q=0.0, */*']) {
    const reply = errorReply(errors.HTTP_NOT_FOUND('/x'), accept);
    assert.equal(reply.status, 404, String(accept));
    assert.equal(reply.body, 'Not found: /x\n', String(accept));
    assert.equal(reply.headers?.['content-type'], 'text/plain; charset=utf-8', String(accept));
    assert.equal(reply.headers?.['content-length'], '14');
  }
});

test("a browser's Accept gets an HTML page naming the status and the message, escaped", () => {
  const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  const reply = errorReply(errors.HTTP_NOT_FOUND('/<script>'), accept, { allow: 'GET' });
  assert.equal(reply.headers?.['content-type'], 'text/html; charset=utf-8');
  assert.equal(reply.headers?.allow, 'GET');
  const body = String(reply.body);
  assert.match(body, /<title>404 Not Found<\/title>/);
  assert.match(body, /<p>Not found: \/&#60;script&#62;<\/p>/);
  assert.equal(reply.headers?.['content-length'], String(Buffer.byteLength(body)));
  assert.equal(
    errorReply(errors.HTTP_NOT_FOUND('/'), ['text/plain', 'text/html;q=0.5']).headers?.['content-type'],
    'text/html; charset=utf-8',
  );
});

test('an error without a status is a 500', () => {
  assert.equal(errorReply(errors.CLI_USAGE('x'), undefined).status, 500);
});

test("an HttpError's status, message (the reason phrase by default) and headers; its body headers are the renderer's", () => {
  const login = new HttpError(401, 'Log in first', {
    headers: { 'WWW-Authenticate': 'Basic realm="x"', 'Content-Type': 'image/png' },
  });
  const reply = errorReply(login, undefined, { connection: 'close' });
  assert.deepEqual(
    [reply.status, reply.body, reply.headers?.['www-authenticate'], reply.headers?.['content-type']],
    [401, 'Log in first\n', 'Basic realm="x"', 'text/plain; charset=utf-8'],
  );
  assert.equal(reply.headers?.connection, 'close');
  assert.equal(errorReply(new HttpError(404), undefined).body, 'Not Found\n');
  assert.equal(new HttpError(451).code, 'HTTP_ERROR');
  for (const status of [200, 302, 600, 404.5]) {
    assert.throws(() => new HttpError(status), RangeError, String(status));
  }
});
