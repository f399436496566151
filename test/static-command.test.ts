import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { staticCommand } from '../src/cli/static-command.js';
import { errors, isError } from '../src/errors/catalogue.js';
import { HTTP_ENGINES } from '../src/http/http-engine.js';
import { handlerModule } from '../src/net/handler-module.js';
import { NetServer } from '../src/net/net-server.js';
import type { ModelSpec } from '../src/net/types.js';
import { curl, rawExchange } from './support/http-client.js';
import { CLI, startProcess } from './support/processes.js';

const STATIC_SITE = handlerModule<typeof import('../src/cli/static-site.js')>(
  new URL('../src/cli/static-site.js', import.meta.url),
);

let dir: string;
let root: string;

/** root/ holds the site; a secret lies next to it, and one more in a sibling whose name extends root's. */
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-static-'));
  root = join(dir, 'root');
  await mkdir(join(root, 'docs'), { recursive: true });
  await mkdir(join(root, 'blog'), { recursive: true });
  await mkdir(join(dir, 'root-evil'));
  await writeFile(join(dir, 'secret.txt'), 'SECRET outside root\n');
  await writeFile(join(dir, 'root-evil', 'secret.txt'), 'SECRET in a sibling\n');
  await writeFile(join(root, '.env'), 'SECRET dotfile\n');
  await writeFile(join(root, 'notes.txt'), 'plain notes\n');
  await writeFile(join(root, 'style.css'), 'body { color: red }\n');
  await writeFile(join(root, 'app.js'), 'console.log(1);\n');
  await writeFile(join(root, 'data.json'), '{"a":1}\n');
  await writeFile(join(root, 'pixel.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  await writeFile(join(root, 'docs', 'a <b>.txt'), 'odd name\n');
  await writeFile(join(root, 'blog', 'index.html'), '<h1>Blog</h1>\n');
  await writeFile(join(root, 'big.bin'), Buffer.alloc(3 << 20, 7));
});
after(() => rm(dir, { recursive: true, force: true }));

async function startSite(model: ModelSpec, keepAlive = true) {
  const server = new NetServer({
    transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    model,
    handler: STATIC_SITE.with({ root, keepAlive }),
  });
  const { port } = await server.listen();
  return { server, port, url: (path: string) => `http://127.0.0.1:${port}${path}` };
}

/** Raw request lines that try to leave root, sent byte for byte (no client normalises them). */
const TRAVERSALS = [
  '/../../etc/passwd',
  '/../secret.txt',
  '/docs/../../secret.txt',
  '/%2e%2e%2fsecret.txt',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/..%5csecret.txt',
  '/..\\secret.txt',
  '/%2e%2e%5csecret.txt',
  '/..;/secret.txt',
  '/../root-evil/secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/secret.txt%00.png',
  '/.env',
  '/%2eenv',
  '//etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  'http://127.0.0.1/../secret.txt',
];

const MODELS: ModelSpec[] = [
  { kind: 'event' },
  { kind: 'loop' },
  { kind: 'prefork', workers: 2 },
  { kind: 'thread', workers: 2 },
];

for (const model of MODELS) {
  describe(`static site on the ${model.kind} model`, () => {
    let site: Awaited<ReturnType<typeof startSite>>;
    before(async () => {
      site = await startSite(model, model.kind !== 'loop');
    });
    after(() => site.server.close());

    test('a directory without index.html gets a listing that escapes names and hides dotfiles', async () => {
      const r = await curl([site.url('/')]);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(r.body, /Index of \//);
      for (const name of ['notes.txt', 'style.css', 'blog/', 'docs/']) assert.ok(r.body.includes(name), name);
      assert.ok(!r.body.includes('.env'));
      const docs = await curl([site.url('/docs/')]);
      assert.ok(docs.body.includes('a &lt;b&gt;.txt'));
      assert.ok(!docs.body.includes('a <b>.txt'));
    });

    test('a directory with index.html serves it; without the slash it redirects', async () => {
      const r = await curl([site.url('/blog/')]);
      assert.equal(r.status, 200);
      assert.equal(r.body, '<h1>Blog</h1>\n');
      const redirect = await curl([site.url('/blog')]);
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.location, 'blog/');
    });

    test('MIME types carry a charset for text', async () => {
      const expected: Record<string, string> = {
        '/notes.txt': 'text/plain; charset=utf-8',
        '/style.css': 'text/css; charset=utf-8',
        '/app.js': 'text/javascript; charset=utf-8',
        '/data.json': 'application/json; charset=utf-8',
        '/pixel.png': 'image/png',
        '/big.bin': 'application/octet-stream',
      };
      for (const [path, type] of Object.entries(expected)) {
        const r = await curl(['-I', site.url(path)]);
        assert.equal(r.status, 200, path);
        assert.equal(r.headers['content-type'], type, path);
      }
      const file = await curl([site.url('/docs/a%20%3Cb%3E.txt')]);
      assert.equal(file.body, 'odd name\n');
    });

    test('a large file arrives whole; a range arrives as 206', async () => {
      const res = await fetch(site.url('/big.bin'));
      assert.equal(res.status, 200);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(body.length, 3 << 20);
      assert.ok(body.every((byte) => byte === 7));
      const part = await curl(['-r', '0-3', site.url('/notes.txt')]);
      assert.equal(part.status, 206);
      assert.equal(part.body, 'plai');
    });

    test('traversal attempts sent as raw bytes get 400 or 404 and never anything outside root', async () => {
      for (const target of TRAVERSALS) {
        const reply = await rawExchange(
          site.port,
          `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        const status = reply.slice(9, 12);
        assert.ok(status === '400' || status === '404', `${target}: ${reply.split('\r\n')[0]}`);
        assert.doesNotMatch(reply, /SECRET|root:/, target);
      }
    });

    if (model.kind === 'loop') {
      test('after all that the server keeps serving, closing connections after a response', async () => {
        const r = await curl([site.url('/notes.txt')]);
        assert.equal(r.status, 200);
        assert.equal(r.headers.connection, 'close');
      });
    } else {
      test('after all that, and on one kept-alive connection, the server keeps serving', async () => {
        const requests = [...TRAVERSALS.slice(0, 5), '/notes.txt']
          .map((target) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)
          .join('');
        const reply = await rawExchange(site.port, requests);
        const statuses = [...reply.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
        assert.deepEqual(statuses, ['400', '400', '400', '400', '400', '200']);
        assert.ok(reply.endsWith('plain notes\n'));
        assert.equal((await curl([site.url('/notes.txt')])).status, 200);
      });
    }
  });
}

describe('tandem static (staticCommand)', () => {
  test('bad flags are usage errors naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[root, '--port', 'http'], /^--port: expected an integer/],
      [[root, '--port', '70000'], /^--port: /],
      [[root, '--model', 'gevent'], /^--model: expected one of loop, event, fork, prefork, thread/],
      [[root, '--model', 'prefork', '--workers', '0'], /^--workers: expected an integer/],
      [[root, '--engine', 'nginx'], /^--engine: expected one of llhttp, node, got "nginx"$/],
      [[root, root], /^static: expected \[DIR\] \[PORT\]/],
      [[root, '0', '--port', '0'], /^static: the port is given twice/],
    ];
    for (const [argv, message] of cases) {
      await assert.rejects(staticCommand(argv), (err: unknown) => {
        assert.ok(isError(err, errors.CLI_USAGE), String(err));
        assert.match((err as Error).message, message);
        return true;
      });
    }
    const notDirectories: Array<[string, RegExp]> = [
      [join(root, 'notes.txt'), /^DIR: expected an existing directory \(.*notes\.txt is not a directory\)/],
      [join(dir, 'missing'), /^DIR: expected an existing directory \(.*missing does not exist\)/],
    ];
    for (const [argument, message] of notDirectories) {
      await assert.rejects(staticCommand([argument]), (err: unknown) => {
        assert.ok(isError(err, errors.CLI_USAGE), String(err));
        assert.match((err as Error).message, message);
        return true;
      });
    }
  });

  test('a number is the port, as in python -m http.server 8123: tandem static 0, tandem static DIR 0', async () => {
    for (const args of [['0'], [root, '0']]) {
      const running = await startProcess(
        process.execPath,
        [CLI, 'static', ...args],
        /Serving \S+ at http:\/\/127\.0\.0\.1:(\d+)\//,
      );
      try {
        assert.notEqual(running.port, 0);
        const r = await curl([
          `http://127.0.0.1:${running.port}/${args.length === 1 ? 'package.json' : 'notes.txt'}`,
        ]);
        assert.equal(r.status, 200);
      } finally {
        await running.stop();
      }
    }
  });

  for (const engine of HTTP_ENGINES) {
    for (const model of ['event', 'prefork'] as const) {
      test(`--engine ${engine} serves DIR (model ${model})`, async () => {
        const running = await startProcess(
          process.execPath,
          [CLI, 'static', root, '--port', '0', '--engine', engine, '--model', model],
          /Serving \S+ at http:\/\/127\.0\.0\.1:(\d+)\//,
        );
        try {
          const r = await curl([`http://127.0.0.1:${running.port}/notes.txt`]);
          assert.equal(r.status, 200);
          assert.equal(r.body, 'plain notes\n');
        } finally {
          await running.stop();
        }
      });
    }
  }

  test('serves DIR, prints where, logs each request in combined format, stops on SIGINT', async () => {
    // A script file, not `node -e`: forked workers inherit execArgv, and `-e` would run in them too.
    const script = join(dir, 'run-static.mjs');
    const command = new URL('../src/cli/static-command.ts', import.meta.url).href;
    await writeFile(
      script,
      `const { staticCommand } = await import(${JSON.stringify(command)});\n` +
        'await staticCommand(process.argv.slice(2));\n',
    );
    const running = await startProcess(
      process.execPath,
      ['--import', 'tsx', script, root, '--port', '0', '--model', 'loop'],
      /Serving .*root at http:\/\/127\.0\.0\.1:(\d+)\/ \(model loop\)/,
    );
    try {
      const r = await curl(['-A', 'test-agent', `http://127.0.0.1:${running.port}/notes.txt?x=1`]);
      assert.equal(r.status, 200);
      assert.equal(r.headers.connection, 'close');
      assert.equal(r.body, 'plain notes\n');
      running.proc.kill('SIGINT');
      const [code] = await once(running.proc, 'exit');
      assert.equal(code, 0);
      assert.match(
        running.stdout(),
        /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/notes\.txt\?x=1 HTTP\/1\.1" 200 12 "-" "test-agent"\n$/,
      );
    } finally {
      await running.stop();
    }
  });
});
