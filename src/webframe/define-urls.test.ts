import assert from 'node:assert/strict';
import { METHODS } from 'node:http';
import { test } from 'node:test';
import { defineUrls } from './define-urls.js';
import type { HttpMethod, Urls, View, WebframeRequest } from './types.js';

// The type checks below are made by `npm run typecheck`: each @ts-expect-error must meet its error.

const hello = (req: WebframeRequest<'/api/hello/:name'>) => ({ hello: req.params.name });
const byId: View<{ id: string }> = (req) => req.params.id;

test('defineUrls returns the routes as they are, typed by their patterns', () => {
  const routes = defineUrls([
    ['/api/hello/:name', { GET: hello }],
    ['/files/:dir/:name', (req) => `${req.params.dir}/${req.params.name}`],
    ['/items/:id', { get: byId, DELETE: (req) => req.params.id }],
    ['/datetime', () => new Date().toISOString()],
  ]);
  assert.equal(routes.length, 4);
  assert.equal(routes[0]?.[0], '/api/hello/:name');
});

test('a view for other params, an unknown param or a method-name typo is a type error', () => {
  const typos = () => [
    // @ts-expect-error the view wants params.name, the pattern gives params.id
    defineUrls([['/api/hello/:id', { GET: hello }]]),
    // @ts-expect-error the pattern has no :nam
    defineUrls([['/api/hello/:name', (req) => req.params.nam]]),
    // @ts-expect-error GIT is not an HTTP method
    defineUrls([['/repo', { GIT: byId }]]),
  ];
  assert.equal(typeof typos, 'function');
});

test('a plain Urls list checks method names, and takes views written for any params', () => {
  const urls: Urls = [
    ['/api/hello/:name', { GET: hello }],
    ['/x/:y', (req) => req.params.y ?? ''],
  ];
  // @ts-expect-error GIT is not an HTTP method
  const typo: Urls = [['/repo', { GIT: hello }]];
  assert.equal(urls.length + typo.length, 3);
});

test("HttpMethod is exactly the methods Node's parser knows (http.METHODS), which the router accepts", () => {
  // satisfies: a name the type lacks, or one it has and this list lacks, is a type error.
  const every = {
    ACL: true,
    BIND: true,
    CHECKOUT: true,
    CONNECT: true,
    COPY: true,
    DELETE: true,
    GET: true,
    HEAD: true,
    LINK: true,
    LOCK: true,
    'M-SEARCH': true,
    MERGE: true,
    MKACTIVITY: true,
    MKCALENDAR: true,
    MKCOL: true,
    MOVE: true,
    NOTIFY: true,
    OPTIONS: true,
    PATCH: true,
    POST: true,
    PROPFIND: true,
    PROPPATCH: true,
    PURGE: true,
    PUT: true,
    QUERY: true,
    REBIND: true,
    REPORT: true,
    SEARCH: true,
    SOURCE: true,
    SUBSCRIBE: true,
    TRACE: true,
    UNBIND: true,
    UNLINK: true,
    UNLOCK: true,
    UNSUBSCRIBE: true,
  } satisfies Record<HttpMethod, true>;
  assert.deepEqual(Object.keys(every), [...METHODS].sort());
});
