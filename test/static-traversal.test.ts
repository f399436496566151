import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawExchange } from './support/http-client.js';
import { CLI, type Running, startProcess, startStack } from './support/processes.js';

/** Marker strings of everything that must never be served; each appears in exactly one file. */
const MARKERS = {
  outside: 'MARKER-OUTSIDE-7f3a91',
  outsideDir: 'MARKER-OUTSIDE-DIR-2b8c44',
  sibling: 'MARKER-SIBLING-PRIVATE-5d0e12',
  dotfile: 'MARKER-DOTFILE-9a6f03',
  dotDir: 'MARKER-DOT-DIRECTORY-c41b7e',
} as const;

/** What a table case expects: one status, or a few when the limit that answers is the server's choice. */
interface TraversalCase {
  /** The request-target, written byte for byte after `GET ` (latin1, so raw bytes stay raw). */
  target: string;
  status: number | readonly number[];
}

/**
 * Request-targets that try to leave root, reach a hidden file or confuse the decoder, and what both the
 * static server and the webframe's static fallback must answer: 400 for malformed or ambiguous paths (any dot
 * segment, encoded slash, backslash, NUL, bad percent-encoding, non-origin-form), 403 for a symlink out of root,
 * 404 for hidden names and names that simply are not there, 431 for a head too large to read.
 */
const CASES: readonly TraversalCase[] = [
  { target: '/../outside.txt', status: 400 },
  { target: '/../../../../../../etc/passwd', status: 400 },
  { target: '/sub/../../outside.txt', status: 400 },
  { target: '/%2e%2e/outside.txt', status: 400 },
  { target: '/%2E%2E/', status: 400 },
  { target: '/.%2e/outside.txt', status: 400 },
  { target: '/%2e./outside.txt', status: 400 },
  // Decoded once: the literal name `%2e%2e` inside root, which does not exist.
  { target: '/%252e%252e/outside.txt', status: 404 },
  { target: '/%c0%ae%c0%ae/outside.txt', status: 400 },
  { target: '/%e0%80%ae%e0%80%ae/outside.txt', status: 400 },
  { target: '/\xc0\xae\xc0\xae/outside.txt', status: 400 },
  { target: '/..%2foutside.txt', status: 400 },
  { target: '/..%2Foutside.txt', status: 400 },
  { target: '/..%5coutside.txt', status: 400 },
  { target: '/..\\outside.txt', status: 400 },
  { target: '/..;/outside.txt', status: 400 },
  { target: '/sub/..;/..;/outside.txt', status: 400 },
  { target: '/%5c..%5coutside.txt', status: 400 },
  { target: '/a.txt\0', status: 400 },
  { target: '/a.txt%00', status: 400 },
  { target: '/a.txt%00.html', status: 400 },
  { target: '/../www-private/secret.txt', status: 400 },
  { target: '/%2e%2e%2fwww-private%2fsecret.txt', status: 400 },
  { target: '/link-out', status: 403 },
  { target: '/link-dir-out/', status: 403 },
  { target: '/link-dir-out/inside.txt', status: 403 },
  { target: '/.secret', status: 404 },
  { target: '/%2esecret', status: 404 },
  { target: '/link-dot', status: 404 },
  { target: '/.git/config', status: 404 },
  { target: '/.git/', status: 404 },
  { target: 'http://x/../outside.txt', status: 400 },
  { target: 'http://x/.secret', status: [400, 404] },
  { target: '//etc/passwd', status: 404 },
  { target: '/%2f%2fetc/passwd', status: 400 },
  { target: '/%zz', status: 400 },
  { target: '/%', status: 400 },
  { target: '/a.txt%', status: 400 },
  { target: '*', status: 400 },
  { target: '/%u002e%u002e/outside.txt', status: 400 },
  { target: '/%c0%2e%c0%2e/outside.txt', status: 400 },
  { target: '/..%00/outside.txt', status: 400 },
  { target: '/.../outside.txt', status: 400 },
  // Names that only look like escapes: literal names inside root that do not exist.
  { target: '/..%252foutside.txt', status: 404 },
  { target: '/%ef%bc%8e%ef%bc%8e/outside.txt', status: 404 },
  { target: '/a.txt/', status: 404 },
  { target: '/a.txt./', status: 404 },
  { target: `/${'a'.repeat(300)}`, status: 404 },
  { target: `/${'a/'.repeat(3000)}`, status: 404 },
  { target: `/${'..'.repeat(1000)}/outside.txt`, status: 400 },
  { target: `${'/..'.repeat(2000)}/outside.txt`, status: 400 },
  { target: `/${'%2e%2e/'.repeat(1000)}outside.txt`, status: 400 },
  { target: `/${'a'.repeat(20_000)}`, status: [414, 431] },
];

let dir: string;
let root: string;
let appDir: string;

/**
 * `<tmp>/www` is served; around it lie `outside.txt`, a directory `outdir/`, and `www-private/` (a sibling
 * whose name starts with the root's). Inside: dotfiles, a dot-directory and symlinks out of root.
 */
before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'tandem-traversal-')));
  root = join(dir, 'www');
  const files: Record<string, string> = {
    'outside.txt': `${MARKERS.outside}\n`,
    'outdir/inside.txt': `${MARKERS.outsideDir}\n`,
    'www-private/secret.txt': `${MARKERS.sibling}\n`,
    'www/index.html': '<h1>home</h1>\n',
    'www/a.txt': 'plain a\n',
    'www/.secret': `${MARKERS.dotfile}\n`,
    'www/.git/config': `${MARKERS.dotDir}\n`,
    'www/sub/b.txt': 'plain b\n',
    'app/urls.mjs': 'export default [];\n',
    'app/settings.mjs': "export default { static: '../www', debug: false };\n",
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  await symlink('../outside.txt', join(root, 'link-out'));
  await symlink('../outdir', join(root, 'link-dir-out'));
  await symlink('.secret', join(root, 'link-dot'));
  appDir = join(dir, 'app');
});
after(() => rm(dir, { recursive: true, force: true }));

function request(target: string, connection = 'close'): Buffer {
  return Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: ${connection}\r\n\r\n`, 'latin1');
}

function statusOf(reply: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1]);
}

/** Fails when a reply holds any marker or a line of /etc/passwd. */
function assertNoLeak(target: string, reply: string): void {
  for (const marker of Object.values(MARKERS))
    assert.ok(!reply.includes(marker), `${target} leaked ${marker}`);
  assert.doesNotMatch(reply, /root:x?:0:0:/, `${target} leaked /etc/passwd`);
}

/** Runs the whole table against a server on `port`; `alive` says whether the server process still runs. */
function traversalSuite(server: () => { port: number; alive: () => boolean }): void {
  test('every case gets its specific status and no foreign byte', async () => {
    const { port } = server();
    for (const { target, status } of CASES) {
      const reply = await rawExchange(port, request(target));
      const label = JSON.stringify(target.length > 60 ? `${target.slice(0, 60)}…` : target);
      const expected = typeof status === 'number' ? [status] : status;
      assert.ok(expected.includes(statusOf(reply)), `${label}: ${reply.split('\r\n')[0]}`);
      assertNoLeak(label, reply);
    }
  });

  test('on one kept-alive connection, refused requests do not stop a good one after them', async () => {
    const { port } = server();
    // Only cases the request parser accepts: a parser error closes the connection, as it should.
    const targets = ['/../outside.txt', '/%2e%2e/outside.txt', '/link-out', '/.secret', '/..%2foutside.txt'];
    const bytes = Buffer.concat([...targets.map((t) => request(t, 'keep-alive')), request('/a.txt')]);
    const reply = await rawExchange(port, bytes);
    const statuses = [...reply.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [400, 400, 403, 404, 400, 200]);
    assert.ok(reply.endsWith('plain a\n'), reply.slice(-200));
    assertNoLeak('pipelined', reply);
  });

  test('afterwards the process still runs and serves a normal GET', async () => {
    const { port, alive } = server();
    assert.ok(alive());
    const reply = await rawExchange(port, request('/a.txt'));
    assert.equal(statusOf(reply), 200);
    assert.ok(reply.endsWith('\r\n\r\nplain a\n'));
    const index = await rawExchange(port, request('/'));
    assert.equal(statusOf(index), 200);
    assert.ok(index.endsWith('<h1>home</h1>\n'));
  });
}

const isAlive = (running: Running) => () =>
  running.proc.exitCode === null && running.proc.signalCode === null;

describe('traversal against `tandem static`', () => {
  let running: Running;
  before(async () => {
    running = await startProcess(
      process.execPath,
      [CLI, 'static', root, '--port', '0'],
      /Serving .* at http:\/\/127\.0\.0\.1:(\d+)\//,
    );
  });
  after(() => running?.stop());
  traversalSuite(() => ({ port: running.port, alive: isAlive(running) }));
});

describe("traversal against a webframe app's static fallback, through httpserver", () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  before(async () => {
    stack = await startStack(appDir);
  });
  after(() => stack?.stop());
  traversalSuite(() => ({
    port: stack.httpserver.port,
    alive: () => isAlive(stack.httpserver)() && isAlive(stack.webframe)(),
  }));
});
