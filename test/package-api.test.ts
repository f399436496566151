import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './support/processes.js';
import { README_APP_COMPILER_OPTIONS, typeCheck } from './support/type-check.js';

const run = promisify(execFile);

/** A consumer project's source files, one per entry point, each using what that entry exports. */
const CONSUMER_FILES: Record<string, string> = {
  'handler.ts': `
import {
  BaseHTTPRequestHandler, errorReply, first, type Handler, HttpError, type HttpReply, mount, serveHandlerClass,
  serveHttp,
} from 'tandem/http';
import type { ConnectionHandler } from 'tandem/net';

export const hello: Handler = (req): HttpReply | null =>
  req.method === 'GET' ? { status: 200, headers: { 'content-type': 'text/plain' }, body: \`hi \${req.client.address}\` } : null;
export const guarded: Handler = (req) => {
  if (req.headers.authorization === undefined) throw new HttpError(401, 'Log in', { headers: { 'www-authenticate': 'Basic' } });
  return errorReply(new HttpError(418), req.headers.accept);
};
export const site = serveHttp(first(mount('/api/', hello), guarded), { maxBodySize: 1024, accessLog: (e) => console.log(e.status) });

export class Hello extends BaseHTTPRequestHandler {
  GET(): void {
    this.sendResponse(200);
    this.endHeaders();
    this.wfile.end(\`hello \${this.path}\`);
  }
}
export default serveHandlerClass(Hello);

/** A handler module's factory, typed by its options. */
export function greeter(options: { greeting: string }): ConnectionHandler {
  return serveHttp(() => ({ status: 200, body: options.greeting }));
}
`,
  'server.ts': `
import { type ConnectionHandler, handlerModule, NetServer, type ModelSpec } from 'tandem/net';
import { site } from './handler.js';

const model: ModelSpec = { kind: 'event' };
const handler: ConnectionHandler = site;
export const server = new NetServer({ transport: { kind: 'tcp', host: '127.0.0.1', port: 0 }, model, handler });
export const listening: Promise<number> = server.listen().then((address) => address.port);

const greeter = handlerModule<typeof import('./handler.js'), 'greeter'>(new URL('./handler.js', import.meta.url), 'greeter');
export const workers = new NetServer({
  transport: { kind: 'unix', path: '/tmp/hello.sock' },
  model: { kind: 'prefork', workers: 4 },
  handler: greeter.with({ greeting: 'hi' }),
});
`,
  'frames.ts': `
import { connect } from 'node:net';
import { ClientSession, ErrorCode, serveFrames } from 'tandem/protocol';
import { hello } from './handler.js';

export const webframe = serveFrames(hello, { maxStreams: 16 });
export function ask(port: number): void {
  const session = new ClientSession(connect(port, '127.0.0.1'));
  session.connection.start();
  const head = { method: 'GET', info: '/', version: '1.1', scheme: 'http', client: { address: '::1', port: 1 }, headers: {} };
  session.request(head, true, {
    onHead: (head) => console.log(head.status),
    onData: (chunk, end) => console.log(chunk.length, end),
    onAbort: (code, reason) => console.log(code === ErrorCode.REFUSED_STREAM, reason),
  });
}
`,
  'static.ts': `
import { files } from 'tandem/static';
import { serveHttp } from 'tandem/http';

export const assets = serveHttp(files({ root: '.', listing: true }));
`,
  'urls.ts': `
import { defineUrls, HttpError, json, type Urls, type WebframeRequest, type WebframeSettingsInput } from 'tandem/webframe';

export function user(req: WebframeRequest<'/users/:id'>) {
  const id: string = req.params.id;
  if (id === 'nobody') throw new HttpError(404, \`no user \${id}\`);
  return json({ id }, { status: 200 });
}

export default defineUrls([
  ['/users/:id', { GET: user, delete: (req) => ({ deleted: req.params.id }) }],
  ['/files/:dir/:name', (req) => \`\${req.params.dir}/\${req.params.name}\`],
  ['hi', () => '<h1>hi</h1>'],
]);

export const plain: Urls = [['/x/:y', (req) => req.params.y ?? '']];
export const settings = { port: 8806, model: 'prefork', workers: 2 } satisfies WebframeSettingsInput;
`,
};

/** Mistakes a consumer can make, and the error tsc must give for each: [file, line, error code, text]. */
const TYPOS = `
import { defineUrls, type WebframeRequest } from 'tandem/webframe';

const show = (req: WebframeRequest<'/users/:id'>) => req.params.id;
export const typoMethod = defineUrls([['/users/:id', { GIT: show }]]);
export const wrongParam = defineUrls([['/users/:name', { GET: show }]]);
export const unknownParam = defineUrls([['/users/:id', (req) => req.params.idd]]);
`;
const EXPECTED_ERRORS = [
  [5, 'TS2353', "Object literal may only specify known properties, and 'GIT' does not exist in type"],
  [6, 'TS2322', "Property 'id' is missing in type '{ readonly name: string; }'"],
  [7, 'TS2339', "Property 'idd' does not exist on type '{ readonly id: string; }'"],
] as const;

let tmp: string;
let consumer: string;
let tarball: string;

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'webframe', 'index.d.ts')), 'run `npm run build` first');
  tmp = await mkdtemp(join(tmpdir(), 'tandem-package-'));
  // --ignore-scripts: pack the dist/ that is built, not a rebuild under tests that may be reading it.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
    cwd: ROOT,
    maxBuffer: 1 << 24,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  tarball = join(tmp, packed!.filename);
  consumer = join(tmp, 'consumer');
  // Installed as npm lays a tarball out (its package/ folder as node_modules/tandem), without Tandem's own
  // dependencies: a type that leaks one of them (zod, pino) then fails the check as a missing module.
  const installed = join(consumer, 'node_modules', 'tandem');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  // What `npm install -D @types/node` gives the consumer.
  await mkdir(join(consumer, 'node_modules', '@types'));
  await symlink(
    join(ROOT, 'node_modules', '@types', 'node'),
    join(consumer, 'node_modules', '@types', 'node'),
    'dir',
  );
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ type: 'module', dependencies: { tandem: `file:${tarball}` } }),
  );
  for (const [name, content] of Object.entries(CONSUMER_FILES)) {
    await writeFile(join(consumer, name), content);
  }
  await writeFile(join(consumer, 'typos.ts'), TYPOS);
  const strict = {
    module: 'nodenext',
    target: 'es2022',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
  };
  const configs: Record<string, object> = {
    'tsconfig.json': { compilerOptions: strict, files: Object.keys(CONSUMER_FILES) },
    // The tsconfig the README gives an app.
    'tsconfig.readme.json': {
      compilerOptions: README_APP_COMPILER_OPTIONS,
      files: Object.keys(CONSUMER_FILES),
    },
    'tsconfig.typos.json': { compilerOptions: strict, files: ['typos.ts'] },
  };
  for (const [name, config] of Object.entries(configs)) {
    await writeFile(join(consumer, name), JSON.stringify(config));
  }
});
after(() => rm(tmp, { recursive: true, force: true }));

describe('the packed package (npm pack), installed in a project outside the repository', () => {
  test('holds each entry point of its exports, and no source or test support', async () => {
    const manifest = JSON.parse(
      await readFile(join(consumer, 'node_modules', 'tandem', 'package.json'), 'utf8'),
    ) as { exports: Record<string, { types: string; default: string }> };
    assert.deepEqual(Object.keys(manifest.exports), [
      './http',
      './net',
      './protocol',
      './static',
      './webframe',
    ]);
    for (const entry of Object.values(manifest.exports)) {
      for (const file of [entry.types, entry.default]) {
        assert.ok(existsSync(join(consumer, 'node_modules', 'tandem', file)), `${file} is in the tarball`);
      }
    }
    const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 1 << 24 });
    const unwanted = stdout.split('\n').filter((f) => /^package\/(src|test)\/|\.test\.|test-helper/.test(f));
    assert.deepEqual(unwanted, []);
  });

  test('type-checks (strict, nodenext, lib check on) a consumer of every entry point', async () => {
    const checked = await typeCheck(consumer, consumer);
    assert.ok(checked.ok, `tsc found errors:\n${checked.output}`);
  });

  test("type-checks with the README's tsconfig for an app", async () => {
    const checked = await typeCheck('tsconfig.readme.json', consumer);
    assert.ok(checked.ok, `tsc found errors:\n${checked.output}`);
  });

  test('a method-name typo, a view for other params and an unknown param fail the type-check', async () => {
    const checked = await typeCheck('tsconfig.typos.json', consumer);
    assert.equal(checked.ok, false, 'tsc accepted the typos');
    const errors = checked.output.split('\n').filter((line) => line.startsWith('typos.ts('));
    assert.equal(errors.length, EXPECTED_ERRORS.length, checked.output);
    for (const [line, code, text] of EXPECTED_ERRORS) {
      const error = errors.find((e) => e.startsWith(`typos.ts(${line},`));
      assert.ok(
        error?.includes(`error ${code}: `),
        `line ${line}: expected ${code}, got:\n${checked.output}`,
      );
      assert.ok(checked.output.includes(text), `expected "${text}" in:\n${checked.output}`);
    }
  });
});
