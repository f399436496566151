import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { defaultHttpServerConfig, loadHttpServerConfig } from './config.js';

describe('loadHttpServerConfig', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-httpserver-config-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configFile(name: string, content: unknown): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  /** Asserts that loading rejects with CONFIG_INVALID and the exact message. */
  async function rejectsInvalid(promise: Promise<unknown>, message: string): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(isError(err, errors.CONFIG_INVALID), String(err));
      assert.equal(err.message, message);
      return true;
    });
  }

  it('gives the defaults with no file and no flags', async () => {
    const config = await loadHttpServerConfig({});
    assert.deepEqual(config, {
      host: '127.0.0.1',
      port: 8808,
      debug: false,
      webframe: { host: '127.0.0.1', port: 8806 },
      connections: 2,
      model: 'event',
      workers: 2,
      static: [],
      limits: { maxHeaderSize: 16384, maxBodySize: 2147483648 },
      timeouts: { headers: 30000, request: 300000, keepAlive: 5000, upstream: 60000 },
    });
    assert.deepEqual(config, defaultHttpServerConfig);
    assert.ok(
      Object.isFrozen(config) && Object.isFrozen(config.timeouts) && Object.isFrozen(config.webframe),
    );
  });

  it('merges defaults < file < flags, nested keys one by one', async () => {
    const file = await configFile('site.json', {
      host: '0.0.0.0',
      port: 9000,
      debug: true,
      webframe: 'localhost:7000',
      connections: 4,
      timeouts: { upstream: 1000 },
    });
    const config = await loadHttpServerConfig({ config: file, port: '9100', webframe: '[::1]:7100' });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 9100);
    assert.equal(config.debug, true);
    assert.deepEqual(config.webframe, { host: '::1', port: 7100 });
    assert.equal(config.connections, 4);
    assert.deepEqual(config.timeouts, { headers: 30000, request: 300000, keepAlive: 5000, upstream: 1000 });
    assert.deepEqual(config.limits, defaultHttpServerConfig.limits);
    assert.ok(Object.isFrozen(config.timeouts));
  });

  it('lets a false flag override a true file value, and accepts port 0', async () => {
    const file = await configFile('debug.json', { debug: true, port: 0 });
    const config = await loadHttpServerConfig({ config: file, debug: false, host: '::' });
    assert.equal(config.debug, false);
    assert.equal(config.port, 0);
    assert.equal(config.host, '::');
  });

  it('reads an IPv6 webframe address from the file', async () => {
    const file = await configFile('v6.json', { webframe: '[2001:db8::1]:8806' });
    const config = await loadHttpServerConfig({ config: file });
    assert.deepEqual(config.webframe, { host: '2001:db8::1', port: 8806 });
  });

  it('reports a missing file as unreadable', async () => {
    const file = join(dir, 'absent.json');
    await assert.rejects(loadHttpServerConfig({ config: file }), (err: unknown) => {
      assert.ok(isError(err, errors.CONFIG_UNREADABLE));
      assert.equal(err.message, `${file}: cannot read config: file not found`);
      return true;
    });
  });

  it('reports bad JSON with the parser message', async () => {
    const file = await configFile('bad.json', '{ "port": 80, }');
    await assert.rejects(loadHttpServerConfig({ config: file }), (err: unknown) => {
      assert.ok(isError(err, errors.CONFIG_UNREADABLE));
      assert.ok(err.message.startsWith(`${file}: cannot read config: invalid JSON: `), err.message);
      assert.ok(err.message.length > `${file}: cannot read config: invalid JSON: `.length);
      return true;
    });
  });

  it('names file, key, what was expected and what was got for a bad value', async () => {
    const file = await configFile('site.json', { port: 'abc' });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "port": expected an integer from 0 to 65535, got "abc"`,
    );
  });

  it('gives the dotted path of a nested key', async () => {
    const file = await configFile('nested.json', { timeouts: { upstream: 1.5 } });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "timeouts.upstream": expected an integer from 1 to 2147483647, got 1.5`,
    );
    const file2 = await configFile('nested2.json', { limits: 5 });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file2 }),
      `${file2}: key "limits": expected an object, got 5`,
    );
  });

  it('rejects a wrong type', async () => {
    const file = await configFile('type.json', { debug: 'yes' });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "debug": expected true or false, got "yes"`,
    );
    const file2 = await configFile('conns.json', { connections: 65 });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file2 }),
      `${file2}: key "connections": expected an integer from 1 to 64, got 65`,
    );
  });

  it('rejects an unknown key, naming it and the known ones', async () => {
    const file = await configFile('unknown.json', { timeouts: { upstrem: 5 } });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "timeouts.upstrem": unknown key; expected one of headers, request, keepAlive, upstream`,
    );
    const file2 = await configFile('unknown2.json', { prot: 80 });
    await assert.rejects(
      loadHttpServerConfig({ config: file2 }),
      /key "prot": unknown key; expected one of host, port/,
    );
  });

  it('rejects a file that is not an object', async () => {
    const file = await configFile('array.json', [1]);
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "(top level)": expected an object, got an array`,
    );
  });

  it('rejects bad webframe addresses', async () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'expected HOST:PORT such as 127.0.0.1:8806 or [::1]:8806'],
      ['127.0.0.1:0', 'expected HOST:PORT with a PORT from 1 to 65535'],
      ['127.0.0.1:70000', 'expected HOST:PORT with a PORT from 1 to 65535'],
      ['127.0.0.1:80x', 'expected HOST:PORT with a PORT from 1 to 65535'],
      ['::1:8806', 'expected an IPv6 host in brackets, such as [::1]:8806'],
      ['[::1]8806', 'expected [IPv6]:PORT such as [::1]:8806'],
      ['[nope]:8806', 'expected an IPv6 address in the brackets of [IPv6]:PORT'],
      ['bad_host!:8806', 'expected HOST:PORT with an IP address or host name as HOST'],
    ];
    for (const [address, expected] of cases) {
      const file = await configFile('webframe.json', { webframe: address });
      await rejectsInvalid(
        loadHttpServerConfig({ config: file }),
        `${file}: key "webframe": ${expected}, got ${JSON.stringify(address)}`,
      );
    }
    const file = await configFile('webframe-number.json', { webframe: 8806 });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "webframe": expected HOST:PORT such as 127.0.0.1:8806 or [::1]:8806, got 8806`,
    );
  });

  it('names the flag and the command line for a bad flag', async () => {
    await rejectsInvalid(
      loadHttpServerConfig({ port: 'abc' }),
      'command line: key "--port": expected an integer from 0 to 65535, got "abc"',
    );
    await rejectsInvalid(
      loadHttpServerConfig({ port: '65536' }),
      'command line: key "--port": expected an integer from 0 to 65535, got 65536',
    );
    await rejectsInvalid(
      loadHttpServerConfig({ webframe: 'nowhere' }),
      'command line: key "--webframe": expected HOST:PORT such as 127.0.0.1:8806 or [::1]:8806, got "nowhere"',
    );
    await rejectsInvalid(
      loadHttpServerConfig({ host: 'a b' }),
      'command line: key "--host": expected an IP address or host name, got "a b"',
    );
  });

  it('takes the concurrency model and workers from the file, flags winning', async () => {
    const file = await configFile('model.json', { model: 'thread', workers: 4 });
    const fromFile = await loadHttpServerConfig({ config: file });
    assert.deepEqual([fromFile.model, fromFile.workers], ['thread', 4]);
    const fromFlags = await loadHttpServerConfig({ config: file, model: 'prefork', workers: '3' });
    assert.deepEqual([fromFlags.model, fromFlags.workers], ['prefork', 3]);
    await rejectsInvalid(
      loadHttpServerConfig({ model: 'forking' }),
      'command line: key "--model": expected one of loop, event, fork, prefork, thread, got "forking"',
    );
    await rejectsInvalid(
      loadHttpServerConfig({ workers: '0' }),
      'command line: key "--workers": expected an integer from 1 to 256, got 0',
    );
  });

  describe('static', () => {
    let site: string;

    before(async () => {
      site = join(dir, 'site');
      await mkdir(join(site, 'public'), { recursive: true });
      await mkdir(join(site, 'docs'));
      await writeFile(join(site, 'file.txt'), 'not a directory');
    });

    async function siteConfig(content: unknown): Promise<string> {
      const file = join(site, 'static.json');
      await writeFile(file, JSON.stringify(content));
      return file;
    }

    it('reads entries, resolving roots against the file directory, with listing off by default', async () => {
      const file = await siteConfig({
        static: [
          { prefix: '/assets/', root: './public', cacheControl: 'public, max-age=31536000, immutable' },
          { prefix: '/docs/', root: join(site, 'docs'), listing: true },
        ],
      });
      const config = await loadHttpServerConfig({ config: file });
      assert.deepEqual(config.static, [
        {
          prefix: '/assets/',
          root: join(site, 'public'),
          cacheControl: 'public, max-age=31536000, immutable',
          listing: false,
        },
        { prefix: '/docs/', root: join(site, 'docs'), listing: true },
      ]);
      assert.ok(Object.isFrozen(config.static) && Object.isFrozen(config.static[0]));
    });

    it('adds --static flags to the file list, a flag replacing the entry with its prefix', async () => {
      const file = await siteConfig({
        static: [
          { prefix: '/assets/', root: 'public', cacheControl: 'no-cache' },
          { prefix: '/docs/', root: 'docs' },
        ],
      });
      const fromCwd = relative(process.cwd(), join(site, 'docs'));
      const config = await loadHttpServerConfig({
        config: file,
        static: [`/assets/=${fromCwd}`, `/x/y/=${join(site, 'public')}`],
      });
      assert.deepEqual(config.static, [
        { prefix: '/docs/', root: join(site, 'docs'), listing: false },
        { prefix: '/assets/', root: join(site, 'docs'), listing: false },
        { prefix: '/x/y/', root: join(site, 'public'), listing: false },
      ]);
    });

    it('rejects bad prefixes, naming the entry', async () => {
      const cases: [unknown, string][] = [
        ['/assets', 'expected a URL path prefix that starts and ends with "/", such as "/assets/"'],
        ['assets/', 'expected a URL path prefix that starts and ends with "/", such as "/assets/"'],
        [
          '/a//',
          "expected path segments of letters, digits, -._~!$&'()*+,;:@ or %XX escapes, with no empty segment",
        ],
        [
          '/a b/',
          "expected path segments of letters, digits, -._~!$&'()*+,;:@ or %XX escapes, with no empty segment",
        ],
        [
          '/a?b/',
          "expected path segments of letters, digits, -._~!$&'()*+,;:@ or %XX escapes, with no empty segment",
        ],
        ['/a/../', 'expected a prefix without "." or ".." segments'],
        ['/%2E%2e/', 'expected a prefix without "." or ".." segments'],
        [3, 'expected a URL path prefix such as "/assets/"'],
      ];
      for (const [prefix, expected] of cases) {
        const file = await siteConfig({
          static: [
            { prefix: '/ok/', root: 'docs' },
            { prefix, root: 'public' },
          ],
        });
        await rejectsInvalid(
          loadHttpServerConfig({ config: file }),
          `${file}: key "static.1.prefix": ${expected}, got ${JSON.stringify(prefix)}`,
        );
      }
    });

    it('rejects a root that is missing or not a directory, saying where it looked', async () => {
      const file = await siteConfig({ static: [{ prefix: '/a/', root: './missing' }] });
      await rejectsInvalid(
        loadHttpServerConfig({ config: file }),
        `${file}: key "static.0.root": expected an existing directory (${join(site, 'missing')} does not exist), got "./missing"`,
      );
      const file2 = await siteConfig({ static: [{ prefix: '/a/', root: 'file.txt' }] });
      await rejectsInvalid(
        loadHttpServerConfig({ config: file2 }),
        `${file2}: key "static.0.root": expected an existing directory (${join(site, 'file.txt')} is not a directory), got "file.txt"`,
      );
      const file3 = await siteConfig({ static: [{ prefix: '/a/' }] });
      await rejectsInvalid(
        loadHttpServerConfig({ config: file3 }),
        `${file3}: key "static.0.root": expected the path of a directory, got nothing`,
      );
    });

    it('rejects duplicate prefixes, bad Cache-Control, unknown keys and wrong shapes', async () => {
      const cases: [unknown, string][] = [
        [
          [
            { prefix: '/a/', root: 'docs' },
            { prefix: '/a/', root: 'public' },
          ],
          'key "static.1.prefix": expected each prefix once, got "/a/"',
        ],
        [
          [{ prefix: '/a/', root: 'docs', cacheControl: 'max-age=1\r\nSet-Cookie: a=b' }],
          'key "static.0.cacheControl": expected a Cache-Control value such as "public, max-age=3600" (printable ASCII), got "max-age=1\\r\\nSet-Cookie: a=b"',
        ],
        [
          [{ prefix: '/a/', root: 'docs', cacheControl: '' }],
          'key "static.0.cacheControl": expected a Cache-Control value such as "public, max-age=3600" (printable ASCII), got ""',
        ],
        [
          [{ prefix: '/a/', root: 'docs', listing: 'yes' }],
          'key "static.0.listing": expected true or false, got "yes"',
        ],
        [
          [{ prefix: '/a/', root: 'docs', cache: 'x' }],
          'key "static.0.cache": unknown key; expected one of prefix, root, cacheControl, listing',
        ],
        [
          ['/a/=docs'],
          'key "static.0": expected an object such as { "prefix": "/assets/", "root": "./public" }, got "/a/=docs"',
        ],
        [{ '/a/': 'docs' }, 'key "static": expected an array of { "prefix", "root" } objects, got an object'],
      ];
      for (const [value, expected] of cases) {
        const file = await siteConfig({ static: value });
        await rejectsInvalid(loadHttpServerConfig({ config: file }), `${file}: ${expected}`);
      }
    });

    it('names --static and the command line for a bad flag', async () => {
      const missing = join(site, 'missing');
      const cases: [string[], string][] = [
        [['/assets'], 'expected /PREFIX/=DIR such as /assets/=./public, got "/assets"'],
        [['=dir'], 'expected /PREFIX/=DIR such as /assets/=./public, got "=dir"'],
        [['/a/='], 'expected /PREFIX/=DIR such as /assets/=./public, got "/a/="'],
        [
          [`/a=${site}`],
          `expected a URL path prefix that starts and ends with "/", such as "/assets/", got "/a=${site}"`,
        ],
        [
          [`/a/=${missing}`],
          `expected an existing directory (${missing} does not exist), got "/a/=${missing}"`,
        ],
        [[`/a/=${site}`, `/a/=${site}`], 'expected each prefix once, got "/a/" twice'],
      ];
      for (const [flags, expected] of cases) {
        await rejectsInvalid(
          loadHttpServerConfig({ static: flags }),
          `command line: key "--static": ${expected}`,
        );
      }
    });
  });
});
