import assert from 'node:assert/strict';
import { errors, isError } from '../errors/catalogue.js';

/** Asserts that loading rejects with CONFIG_INVALID and the exact message. */
export async function rejectsInvalid(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isError(err, errors.CONFIG_INVALID), String(err));
    assert.equal(err.message, message);
    return true;
  });
}
