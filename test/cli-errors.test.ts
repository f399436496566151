import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, ROOT, type Running, startProcess } from './support/processes.js';
import { exitOf, waitFor } from './support/wait-for.js';

/** How a `tandem` run ended. */
interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tandem ARGS` from the repository root until it exits (30 s at most). */
function tandem(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Asserts the run printed exactly one `tandem: …` line matching `message` (no stack) and exited `status`. */
function assertOneLine(outcome: Outcome, status: number, message: RegExp): void {
  const lines = outcome.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
  assert.equal(lines.length, 1, `one line expected, got:\n${outcome.stderr}`);
  assert.match(lines[0] as string, /^tandem: /);
  assert.match(lines[0] as string, message);
  assert.doesNotMatch(outcome.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(outcome.status, status, outcome.stderr);
}

// 10.255.255.1 is no address of this machine: listen fails at once (EADDRNOTAVAIL) and sends nothing.
const NOT_LOCAL = '10.255.255.1';

/** A port in use for the whole file: a plain TCP server on loopback. */
let busy: Server;
let busyPort: number;
before(async () => {
  busy = createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  busyPort = (busy.address() as { port: number }).port;
});
after(() => busy.close());

describe('an address that cannot be listened on is one line, exit 1', () => {
  const commands: [string, string[]][] = [
    ['static', ['static']],
    ['httpserver', ['httpserver']],
    ['webframe', ['webframe', 'examples/site']],
    ['ftpd', ['ftpd', '.']],
  ];
  for (const [name, args] of commands) {
    test(`${name} --host ${NOT_LOCAL}`, async () => {
      assertOneLine(
        await tandem([...args, '--host', NOT_LOCAL, '--port', '0']),
        1,
        /cannot listen on 10\.255\.255\.1: .*EADDRNOTAVAIL/,
      );
    });
    test(`${name} --port BUSY`, async () => {
      assertOneLine(
        await tandem([...args, '--port', String(busyPort)]),
        1,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is in use`),
      );
    });
  }
  test('static --model prefork --host NOT_LOCAL', async () => {
    assertOneLine(
      await tandem(['static', '--model', 'prefork', '--host', NOT_LOCAL, '--port', '0']),
      1,
      /cannot listen on 10\.255\.255\.1/,
    );
  });
  test('serve --webframe-port BUSY', async () => {
    assertOneLine(
      await tandem(['serve', 'examples/site', '--port', '0', '--webframe-port', String(busyPort)]),
      1,
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is in use`),
    );
  });
  test('serve --port BUSY: the httpserver cannot listen; serve stops the webframe and exits 1', async () => {
    assertOneLine(
      await tandem(['serve', 'examples/site', '--port', String(busyPort), '--webframe-port', '0']),
      1,
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is in use`),
    );
  });
});

describe('an app or config that cannot be loaded is one line, exit 1', () => {
  test('serve /nonexistent', async () => {
    assertOneLine(
      await tandem(['serve', '/nonexistent']),
      1,
      /cannot load app \/nonexistent: no such folder/,
    );
  });
  test('httpserver --config missing.json', async () => {
    assertOneLine(
      await tandem(['httpserver', '--config', 'missing.json']),
      1,
      /missing\.json: cannot read config/,
    );
  });
});

describe('usage errors are one line naming the flag or argument, exit 2', () => {
  const commands: [string, string[]][] = [
    ['static', ['static']],
    ['httpserver', ['httpserver']],
    ['webframe', ['webframe', 'examples/site']],
    ['ftpd', ['ftpd', '.']],
    ['serve', ['serve', 'examples/site']],
  ];
  for (const [name, args] of commands) {
    test(`${name} --port abc: the same words in every command`, async () => {
      assertOneLine(
        await tandem([...args, '--port', 'abc']),
        2,
        /^tandem: --port: expected an integer from 0 to 65535, got "abc"$/,
      );
    });
    test(`${name} --model forking`, async () => {
      assertOneLine(
        await tandem([...args, '--model', 'forking']),
        2,
        /^tandem: --model: expected one of .*, got "forking"$/,
      );
    });
    test(`${name} --bogus names the flag and points to --help`, async () => {
      assertOneLine(
        await tandem([...args, '--bogus']),
        2,
        new RegExp(`^tandem: ${name}: unknown flag --bogus; tandem ${name} --help shows the usage$`),
      );
    });
  }
  test('httpserver site.json: a positional where --config was meant', async () => {
    assertOneLine(
      await tandem(['httpserver', 'site.json']),
      2,
      /httpserver: unexpected argument "site\.json" \(a config file: --config site\.json\)/,
    );
  });
  for (const command of ['serve', 'webframe']) {
    test(`${command} a b refuses the extra argument`, async () => {
      assertOneLine(await tandem([command, 'a', 'b']), 2, new RegExp(`${command}: unexpected argument "b"`));
    });
  }
  test('ftp ls without a URL says the URL is missing', async () => {
    assertOneLine(await tandem(['ftp', 'ls']), 2, /ftp ls URL: missing URL/);
  });
  test('ftpd ROOT that is no directory names ROOT, as a bad flag value is named', async () => {
    assertOneLine(
      await tandem(['ftpd', '/nonexistent']),
      2,
      /^tandem: ROOT: expected an existing directory \(\/nonexistent does not exist\), got "\/nonexistent"$/,
    );
  });
  test('static DIR that is no directory names DIR in the same words as ftpd ROOT', async () => {
    assertOneLine(
      await tandem(['static', '/nonexistent']),
      2,
      /^tandem: DIR: expected an existing directory \(\/nonexistent does not exist\), got "\/nonexistent"$/,
    );
  });
  for (const [name, args] of [
    ['static', ['static']],
    ['webframe', ['webframe', 'examples/site']],
    ['ftpd', ['ftpd', '.']],
  ] as const) {
    test(`${name} --host "a b": the same words as httpserver's`, async () => {
      assertOneLine(
        await tandem([...args, '--host', 'a b']),
        2,
        /^tandem: --host: expected an IP address or host name, got "a b"$/,
      );
    });
  }
  test('--port with no value', async () => {
    assertOneLine(await tandem(['static', '--port']), 2, /^tandem: --port: expected a value/);
  });
  for (const [name, args] of [
    ['static', ['static']],
    ['httpserver', ['httpserver']],
    // serve hands --engine to its httpserver, which refuses it; its webframe binds a free port meanwhile.
    ['serve', ['serve', 'examples/site', '--webframe-port', '0']],
  ] as const) {
    test(`${name} --engine nginx names the value and the engines`, async () => {
      assertOneLine(
        await tandem([...args, '--engine', 'nginx']),
        2,
        /^tandem: --engine: expected one of llhttp, node, got "nginx"$/,
      );
    });
  }
});

/** One fixture for the config-file cases: `dir` holds site.json (`file`), whose "engine" no engine has. */
const badEngine = { dir: '', file: '' };
before(async () => {
  badEngine.dir = await mkdtemp(join(tmpdir(), 'tandem-engine-'));
  badEngine.file = join(badEngine.dir, 'site.json');
  await writeFile(badEngine.file, JSON.stringify({ engine: 'nginx' }));
});
after(() => rm(badEngine.dir, { recursive: true, force: true }));

describe('"engine" in a config file: a bad value names the file, the key and the engines, exit 1', () => {
  test('httpserver --config FILE', async () => {
    const file = badEngine.file;
    assertOneLine(
      await tandem(['httpserver', '--port', '0', '--config', file]),
      1,
      new RegExp(
        `^tandem: ${file.replaceAll('.', '\\.')}: key "engine": expected one of llhttp, node, got "nginx"$`,
      ),
    );
  });
});

describe("serve checks the httpserver's flags and file before it starts the webframe", () => {
  const cases: [string, () => string[], number, RegExp][] = [
    ['--port abc', () => ['--port', 'abc'], 2, /^tandem: --port: expected an integer from 0 to 65535/],
    ['--host "a b"', () => ['--host', 'a b'], 2, /^tandem: --host: expected an IP address or host name/],
    [
      '--static /a/=MISSING',
      () => ['--static', `/a/=${join(badEngine.dir, 'missing')}`],
      2,
      /^tandem: --static: expected an existing directory/,
    ],
    [
      '--config FILE with a bad key',
      () => ['--config', badEngine.file],
      1,
      /site\.json: key "engine": expected one of llhttp, node, got "nginx"$/,
    ],
  ];
  for (const [name, args, status, message] of cases) {
    test(`serve ${name}: one line, and no webframe ever listened`, async () => {
      const outcome = await tandem(['serve', 'examples/site', '--webframe-port', '0', ...args()]);
      assertOneLine(outcome, status, message);
      assert.doesNotMatch(outcome.stderr, /webframe listening/, outcome.stderr);
    });
  }
  test('serve /nonexistent --port abc: the flag first, as webframe /nonexistent --port abc', async () => {
    assertOneLine(await tandem(['serve', '/nonexistent', '--port', 'abc']), 2, /^tandem: --port: /);
  });
});

describe('tandem --version', () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-v']) {
    test(`${flag} prints the package version`, async () => {
      const outcome = await tandem([flag]);
      assert.equal(outcome.status, 0, outcome.stderr);
      assert.equal(outcome.stdout, `tandem ${version}\n`);
    });
  }
});

describe('--workers with a model that has none: accepted, one warning line, in every command', () => {
  const commands: [string, string[], RegExp][] = [
    ['static', ['static', '--port', '0'], /Serving \. at http:\/\/127\.0\.0\.1:(\d+)\//],
    ['httpserver', ['httpserver', '--port', '0'], /httpserver listening on http:\/\/[^:]+:(\d+)/],
    ['webframe', ['webframe', 'examples/site', '--port', '0'], /webframe listening on [^ ]+:(\d+)/],
    ['ftpd', ['ftpd', '.', '--port', '0'], /ftpd listening on ftp:\/\/[^:]+:(\d+)/],
  ];
  for (const [name, args, ready] of commands) {
    test(name, async () => {
      const running = await startProcess(process.execPath, [CLI, ...args, '--workers', '3'], ready);
      try {
        assert.match(running.stderr(), /^tandem: warning: --workers is ignored by the event model/m);
      } finally {
        running.proc.kill('SIGKILL');
        await once(running.proc, 'exit');
      }
    });
  }
});

/** Stops `running` (SIGTERM) and resolves once its output is all read: what it printed, complete. */
async function stopAndRead(running: Running): Promise<string> {
  const closed = once(running.proc, 'close');
  await running.stop();
  await closed;
  return running.stderr();
}

/** How many lines of `text` match `pattern`. */
function linesMatching(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

describe('"workers" in a config file with a model that has none: accepted, one warning naming file and key', () => {
  let dir: string;
  const path = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-workers-warning-'));
    await writeFile(path('site.json'), JSON.stringify({ workers: 3 }));
    await writeFile(path('ftpd.json'), JSON.stringify({ workers: 3 }));
    await mkdir(path('app'));
    await writeFile(path('app/urls.ts'), "export default [['/x', () => 'x']];\n");
    await writeFile(path('app/settings.ts'), 'export default { workers: 3 };\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: [string, () => string[], RegExp, () => string][] = [
    [
      'httpserver --config FILE',
      () => ['httpserver', '--port', '0', '--config', path('site.json')],
      /httpserver listening on http:\/\/[^:]+:(\d+)/,
      () =>
        `${path('site.json')}: key "workers" is ignored by the event model (only prefork, thread, fork use it)`,
    ],
    [
      "webframe APP_DIR (the app's settings.ts)",
      () => ['webframe', path('app'), '--port', '0'],
      /webframe listening on [^ ]+:(\d+)/,
      () =>
        `${path('app/settings.ts')}: key "workers" is ignored by the event model (only prefork, thread, fork use it)`,
    ],
    [
      'ftpd --config FILE',
      () => ['ftpd', '.', '--port', '0', '--config', path('ftpd.json')],
      /ftpd listening on ftp:\/\/[^:]+:(\d+)/,
      () => `${path('ftpd.json')}: key "workers" is ignored by the event model (only prefork use it)`,
    ],
    [
      'ftpd --config FILE --model fork (one child per connection)',
      () => ['ftpd', '.', '--port', '0', '--config', path('ftpd.json'), '--model', 'fork'],
      /ftpd listening on ftp:\/\/[^:]+:(\d+)/,
      () => `${path('ftpd.json')}: key "workers" is ignored by the fork model (only prefork use it)`,
    ],
  ];
  for (const [name, args, ready, warning] of cases) {
    test(name, async () => {
      const running = await startProcess(process.execPath, [CLI, ...args()], ready);
      const stderr = await stopAndRead(running);
      assert.equal(linesMatching(stderr, /^tandem: warning: /), 1, stderr);
      assert.ok(stderr.split('\n').includes(`tandem: warning: ${warning()}`), stderr);
    });
  }

  const serving = /Tandem is serving \S+ at http:\/\/127\.0\.0\.1:(\d+)\//;
  test("serve --config FILE: the httpserver's file, named once", async () => {
    const running = await startProcess(
      process.execPath,
      [
        CLI,
        'serve',
        'test/fixtures/app',
        '--port',
        '0',
        '--webframe-port',
        '0',
        '--config',
        path('site.json'),
      ],
      serving,
    );
    const stderr = await stopAndRead(running);
    assert.equal(linesMatching(stderr, /^tandem: warning: /), 1, stderr);
    assert.match(stderr, /^tandem: warning: \S+site\.json: key "workers" is ignored by the event model/m);
  });

  test('serve --workers 3: both children ignore it, one warning line', async () => {
    const running = await startProcess(
      process.execPath,
      [CLI, 'serve', 'test/fixtures/app', '--port', '0', '--webframe-port', '0', '--workers', '3'],
      serving,
    );
    await waitFor(() => /^tandem: warning: /m.test(running.stderr()), 'the warning');
    const stderr = await stopAndRead(running);
    assert.equal(linesMatching(stderr, /^tandem: warning: /), 1, stderr);
    assert.match(stderr, /^tandem: warning: --workers is ignored by the event model/m);
  });
});

describe('Ctrl-C (SIGINT to the process group) is a quiet stop under every process model', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'static --model fork',
      ['static', '.', '--model', 'fork'],
      /Serving \. at http:\/\/127\.0\.0\.1:(\d+)\//,
    ],
    [
      'static --model prefork',
      ['static', '.', '--model', 'prefork'],
      /Serving \. at http:\/\/127\.0\.0\.1:(\d+)\//,
    ],
    ['ftpd --model fork', ['ftpd', '.', '--model', 'fork'], /ftpd listening on ftp:\/\/[^:]+:(\d+)/],
    ['ftpd --model prefork', ['ftpd', '.', '--model', 'prefork'], /ftpd listening on ftp:\/\/[^:]+:(\d+)/],
    [
      'httpserver --model fork',
      ['httpserver', '--model', 'fork'],
      /httpserver listening on http:\/\/[^:]+:(\d+)/,
    ],
  ];
  for (const [name, args, ready] of cases) {
    test(name, { timeout: 60_000 }, async () => {
      const running = await startProcess(process.execPath, [CLI, ...args, '--port', '0'], ready, {
        detached: true,
      });
      const pgid = running.proc.pid as number;
      try {
        // New connections keep coming while the signal arrives: under fork each one is a child being born.
        const sockets: Socket[] = [];
        let connected = 0;
        let flooding = true;
        const open = () => {
          if (!flooding) return;
          const socket = connect(running.port, '127.0.0.1');
          socket.on('connect', () => {
            connected++;
            if (connected === 8) {
              flooding = false; // the connections opened so far are the ones the signal meets
              process.kill(-pgid, 'SIGINT');
            }
            if (!args.includes('ftpd')) socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
            setImmediate(open);
          });
          socket.on('data', () => {});
          socket.on('error', () => setImmediate(open));
          sockets.push(socket);
          socket.setTimeout(5000, () => socket.destroy());
        };
        for (let i = 0; i < 4; i++) open();
        await exitOf(running.proc);
        for (const socket of sockets) socket.destroy();
        const stderr = running.stderr();
        assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace:\n${stderr}`);
        assert.doesNotMatch(stderr, /"level":50/, `no error line:\n${stderr}`);
        assert.doesNotMatch(stderr, /EPIPE|replacement|while closing|exited during start/, stderr);
      } finally {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // the group is gone
        }
      }
    });
  }
});
