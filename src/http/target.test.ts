import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitTarget, targetAuthority } from './target.js';

test('splitTarget keeps the raw path and query of an origin-form target, and cuts the fragment', () => {
  assert.deepEqual(splitTarget('/hi?lang=en'), { path: '/hi', query: 'lang=en' });
  assert.deepEqual(splitTarget('/a%20b'), { path: '/a%20b', query: '' });
  assert.deepEqual(splitTarget('/a/b%20c.txt?x=1#f'), { path: '/a/b%20c.txt', query: 'x=1' });
  assert.deepEqual(splitTarget('/f#frag'), { path: '/f', query: '' });
  assert.deepEqual(splitTarget('/?q'), { path: '/', query: 'q' });
});

test('splitTarget reduces an http(s) absolute-form target to its path (RFC 9112 §3.2.2)', () => {
  assert.deepEqual(splitTarget('http://example.com/x?y=1'), { path: '/x', query: 'y=1' });
  assert.deepEqual(splitTarget('HTTPS://example.com:8443/a/%2e?x'), { path: '/a/%2e', query: 'x' });
  assert.deepEqual(splitTarget('http://example.com'), { path: '/', query: '' });
  assert.deepEqual(splitTarget('http://example.com?x=1'), { path: '/', query: 'x=1' });
  assert.deepEqual(splitTarget('http://user@[::1]:80/z'), { path: '/z', query: '' });
});

test('splitTarget leaves other targets as sent, for the handler to refuse', () => {
  assert.deepEqual(splitTarget('*'), { path: '*', query: '' });
  assert.deepEqual(splitTarget('ftp://host/a'), { path: 'ftp://host/a', query: '' });
  assert.deepEqual(splitTarget('//evil.com/a'), { path: '//evil.com/a', query: '' });
  assert.deepEqual(splitTarget('a.txt'), { path: 'a.txt', query: '' });
});

test('targetAuthority gives the authority of an absolute-form target of any scheme, nothing for other forms', () => {
  assert.equal(targetAuthority('http://example.com/a?x=1'), 'example.com');
  assert.equal(targetAuthority('HTTPS://Example.com:8443'), 'Example.com:8443');
  assert.equal(targetAuthority('ftp://files.example/x'), 'files.example');
  assert.equal(targetAuthority('/http://example.com/'), undefined);
  assert.equal(targetAuthority('*'), undefined);
  assert.equal(targetAuthority('example.com:443'), undefined);
});
