import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from '../errors/catalogue.js';
import { describeFailure } from './failure.js';

/** An error shaped as node's dns/net make it (a real lookup of an unknown name would send a DNS query). */
function errnoError(code: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(`${fields.syscall} ${code}`), { code, ...fields });
}

describe('describeFailure', () => {
  it('names an unknown host name (ENOTFOUND, EAI_AGAIN from the lookup listen makes)', () => {
    assert.deepEqual(
      describeFailure(errnoError('ENOTFOUND', { syscall: 'getaddrinfo', hostname: 'nohost.example' })),
      {
        message: 'cannot listen on nohost.example: unknown host name (ENOTFOUND)',
        status: 1,
      },
    );
    assert.deepEqual(
      describeFailure(errnoError('EAI_AGAIN', { syscall: 'getaddrinfo', hostname: 'web.lan' })),
      {
        message:
          'cannot listen on web.lan: the host name cannot be resolved now (DNS lookup failed) (EAI_AGAIN)',
        status: 1,
      },
    );
  });

  it('names the address and port of a listen failure, IPv6 in brackets', () => {
    const failure = describeFailure(
      errnoError('EADDRINUSE', { syscall: 'listen', address: '::1', port: 8808 }),
    );
    assert.equal(
      failure.message,
      'cannot listen on [::1]:8808: the port is in use (by another process) (EADDRINUSE)',
    );
  });

  it('gives a usage error status 2 and other Tandem errors 1', () => {
    assert.deepEqual(describeFailure(errors.CLI_USAGE('--port: expected a value')), {
      message: '--port: expected a value',
      status: 2,
    });
    assert.equal(describeFailure(errors.APP_LOAD_FAILED('/x', 'no such folder')).status, 1);
  });

  it('keeps the stack of an error that is none of these (a bug to report)', () => {
    const bug = new TypeError('x is undefined');
    assert.equal(describeFailure(bug).message, bug.stack);
  });
});
