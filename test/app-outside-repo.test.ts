import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { CLI, ROOT, type Running, startHttpServer, startProcess } from './support/processes.js';
import { README_APP_COMPILER_OPTIONS, typeCheck } from './support/type-check.js';

/**
 * An app folder made as the README says, outside the repository and with no package.json: urls.ts imports its
 * views as `./views.js`, `./more.ts` and `./extra`, and Tandem's types and helpers as `tandem/webframe` and
 * `tandem/http`.
 */
const APP_FILES: Record<string, string> = {
  'urls.ts': [
    "import type { Urls } from 'tandem/webframe';",
    "import { extra } from './extra';",
    "import { more, teapot } from './more.ts';",
    "import { hello } from './views.js';",
    '',
    "const urls: Urls = [['/hello', hello], ['/more', more], ['/extra', extra], ['/x', () => 'x'], ['/teapot', teapot]];",
    'export default urls;',
    '',
  ].join('\n'),
  'views.ts': [
    "import { json, type WebframeRequest } from 'tandem/webframe';",
    '',
    'export function hello(req: WebframeRequest) {',
    '  return json({ hello: req.path }, { status: 201 });',
    '}',
    '',
  ].join('\n'),
  // A value imported from another entry point than tandem/webframe.
  'more.ts': [
    "import { HttpError } from 'tandem/http';",
    "export const more = (): string => 'more';",
    "export const teapot = (): never => { throw new HttpError(418, 'short and stout'); };",
    '',
  ].join('\n'),
  // The README's settings.ts, in an app with no static/ folder.
  'settings.ts': [
    "import type { WebframeSettingsInput } from 'tandem/webframe';",
    'export default {',
    "  host: '127.0.0.1', port: 8806, debug: false, model: 'event',",
    '  drainTimeout: 30000,',
    '} satisfies WebframeSettingsInput;',
    '',
  ].join('\n'),
  'extra.ts': "export const extra = (): string => 'extra';\n",
};

async function writeApp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(APP_FILES)) await writeFile(join(dir, name), content);
}

/** `CLI webframe . --port 0 …` started from inside `dir`, as a user in that folder would type it. */
function startWebframeIn(dir: string, cli: string, extra: string[]): Promise<Running> {
  return startProcess(
    'sh',
    [
      '-c',
      'cd "$1" && cli="$2" && shift 2 && exec "$0" "$cli" webframe . --port 0 "$@"',
      process.execPath,
      dir,
      cli,
      ...extra,
    ],
    /webframe listening on [^ ]+:(\d+)/,
  );
}

async function assertAppAnswers(dir: string, cli: string, model: string): Promise<void> {
  const webframe = await startWebframeIn(dir, cli, ['--model', model]);
  try {
    const httpserver = await startHttpServer(webframe.port);
    try {
      const base = `http://127.0.0.1:${httpserver.port}`;
      const hello = await curl([`${base}/hello`]);
      assert.deepEqual(
        [hello.status, hello.headers['content-type'], JSON.parse(hello.body)],
        [201, 'application/json; charset=utf-8', { hello: '/hello' }],
      );
      assert.equal((await curl([`${base}/more`])).body, 'more');
      assert.equal((await curl([`${base}/extra`])).body, 'extra');
      assert.equal((await curl([`${base}/x`])).body, 'x');
      const teapot = await curl([`${base}/teapot`]);
      assert.deepEqual([teapot.status, teapot.body], [418, 'short and stout\n']);
    } finally {
      await httpserver.stop();
    }
  } finally {
    await webframe.stop();
  }
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tandem-user-app-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

for (const model of ['event', 'prefork'] as const) {
  describe(`an app folder outside the repository (--model ${model})`, () => {
    test('with no package.json and no node_modules loads, tandem/webframe resolved by the CLI', async () => {
      const dir = join(tmp, `bare-${model}`);
      await writeApp(dir);
      await assertAppAnswers(dir, CLI, model);
    });

    test('with tandem installed in its node_modules (as `npm install PATH` links it)', async () => {
      const dir = join(tmp, `installed-${model}`);
      await writeApp(dir);
      await writeFile(
        join(dir, 'package.json'),
        // What `npm init -y && npm install PATH` leaves: npm 11 writes "type": "commonjs".
        JSON.stringify({ type: 'commonjs', dependencies: { tandem: `file:${ROOT}` } }),
      );
      await mkdir(join(dir, 'node_modules'));
      await symlink(ROOT, join(dir, 'node_modules', 'tandem'), 'dir');
      await assertAppAnswers(dir, join(dir, 'node_modules', 'tandem', 'dist', 'cli', 'main.js'), model);
    });
  });
}

describe('an app with tandem installed', () => {
  test("type-checks against tandem/webframe's published types", async () => {
    const dir = join(tmp, 'typed');
    await writeApp(dir);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: README_APP_COMPILER_OPTIONS, include: ['*.ts'] }),
    );
    await mkdir(join(dir, 'node_modules'));
    await symlink(ROOT, join(dir, 'node_modules', 'tandem'), 'dir');
    const checked = await typeCheck(dir, dir);
    assert.ok(checked.ok, `tsc found errors:\n${checked.output}`);
  });
});
