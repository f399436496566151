import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseBody } from './response-body.js';

const chunk = (text: string) => Buffer.from(text);

function body() {
  const credited: number[] = [];
  let stopped = 0;
  const b = new ResponseBody(
    (bytes) => credited.push(bytes),
    () => stopped++,
  );
  return { b, credited, stopped: () => stopped };
}

test('credit for a chunk goes back only when the reader comes back for the next one', async () => {
  const { b, credited } = body();
  b.push(chunk('abc'), false);
  b.push(chunk('de'), false);
  const it = b[Symbol.asyncIterator]();
  assert.equal(String((await it.next()).value), 'abc');
  assert.deepEqual(credited, []);
  assert.equal(String((await it.next()).value), 'de');
  assert.deepEqual(credited, [3]);
  const later = it.next(); // waits: 'de' is credited as it asks
  assert.deepEqual(credited, [3, 2]);
  b.push(chunk('f'), true);
  assert.equal(String((await later).value), 'f');
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('a failure comes after the chunks pushed before it', async () => {
  const { b } = body();
  b.push(chunk('first part'), false);
  b.fail(new Error('cut'));
  b.push(chunk('never'), true);
  const it = b[Symbol.asyncIterator]();
  assert.equal(String((await it.next()).value), 'first part');
  await assert.rejects(it.next(), /cut/);
});

test('a waiting reader hears of the end and of a failure at once', async () => {
  const ended = body();
  const waiting = ended.b.next();
  ended.b.push(Buffer.alloc(0), true);
  assert.deepEqual(await waiting, { value: undefined, done: true });
  const failed = body();
  const pending = failed.b.next();
  failed.b.fail(new Error('gone'));
  await assert.rejects(pending, /gone/);
});

test('a reader that stops early stops the body once; one that read it all does not', async () => {
  const early = body();
  early.b.push(chunk('x'), false);
  await early.b.return();
  await early.b.return();
  assert.equal(early.stopped(), 1);
  const whole = body();
  whole.b.push(chunk('x'), true);
  await whole.b.return();
  assert.equal(whole.stopped(), 0);
});

test('takeWhole takes a body that ended in one unread chunk, and nothing else', async () => {
  const one = body();
  one.b.push(chunk('all'), true);
  assert.equal(String(one.b.takeWhole()), 'all');
  assert.deepEqual(await one.b.next(), { value: undefined, done: true });
  const open = body();
  open.b.push(chunk('a'), false);
  assert.equal(open.b.takeWhole(), undefined);
  const two = body();
  two.b.push(chunk('a'), false);
  two.b.push(chunk('b'), true);
  assert.equal(two.b.takeWhole(), undefined);
  const failed = body();
  failed.b.push(chunk('a'), false);
  failed.b.fail(new Error('x'));
  assert.equal(failed.b.takeWhole(), undefined);
});
