import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors, isError } from './catalogue.js';
import { deserializeError, serializeError } from './serialized-error.js';

describe('serializeError and deserializeError', () => {
  // structuredClone is what postMessage does to the serialized form.
  const roundTrip = (err: unknown) => deserializeError(structuredClone(serializeError(err)));

  test('a TandemError comes back as one, with its code, message and status', () => {
    const back = roundTrip(errors.HTTP_NOT_FOUND('/x'));
    assert.ok(isError(back, errors.HTTP_NOT_FOUND), String(back));
    assert.equal(back.message, errors.HTTP_NOT_FOUND('/x').message);
    assert.equal(back.status, 404);
  });

  test('another error keeps its name, message, code and stack', () => {
    const err = Object.assign(new Error('disk gone'), { code: 'EIO' });
    const back = roundTrip(err) as NodeJS.ErrnoException;
    assert.equal(back.name, 'Error');
    assert.equal(back.message, 'disk gone');
    assert.equal(back.code, 'EIO');
    assert.equal(back.stack, err.stack);
    assert.equal(roundTrip('a string').message, 'a string');
  });
});
