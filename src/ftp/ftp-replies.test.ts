import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors } from '../errors/catalogue.js';
import { errorReply, formatMultiline, formatReply, quotePath } from './ftp-replies.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

describe('FTP replies', () => {
  test('a single line never carries CR or LF from its text', () => {
    assert.equal(formatReply(200, 'ok'), '200 ok\r\n');
    assert.equal(formatReply(550, 'bad\r\n230 fake'), '550 bad  230 fake\r\n');
  });

  test('multi-line replies indent every inner line so none can end the reply', () => {
    assert.equal(
      formatMultiline(211, 'Features:', ['UTF8', '226 sneaky'], 'End'),
      '211-Features:\r\n UTF8\r\n 226 sneaky\r\n211 End\r\n',
    );
  });

  test('257 paths double their quotes (RFC 959 Appendix II)', () => {
    assert.equal(quotePath('/a "b"'), '"/a ""b"""');
  });

  test('catalogue errors keep their FTP code; file system errors are mapped', () => {
    assert.deepEqual(errorReply(errors.FTP_PATH_INVALID('contains NUL'), '/x'), {
      code: 553,
      text: 'File name not allowed: contains NUL',
    });
    assert.equal(errorReply(errors.FTP_PATH_OUTSIDE('/x'), '/x').code, 550);
    assert.equal(errorReply(errors.FTP_NO_DATA_CONNECTION('timeout'), '/x').code, 425);
    assert.deepEqual(errorReply(errno('ENOENT'), '/gone'), {
      code: 550,
      text: 'No such file or directory: /gone',
    });
    assert.equal(errorReply(errno('ENOTEMPTY'), '/d').code, 550);
    assert.equal(errorReply(errno('ENOSPC'), '/f').code, 452);
    assert.deepEqual(errorReply(errno('EIO'), '/f'), { code: 451, text: 'Local error on /f: EIO' });
    assert.equal(errorReply(new Error('bug'), '/f').code, 451);
  });
});
