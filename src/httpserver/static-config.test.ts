import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadHttpServerConfig } from './config.js';
import { configDir, rejectsInvalid, rejectsUsage } from './config-fixture.test-helper.js';

describe('loadHttpServerConfig', () => {
  const tmp = configDir();

  describe('static', () => {
    let site: string;

    before(async () => {
      site = join(tmp.path, 'site');
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

    it('names --static for a bad flag, as a usage error', async () => {
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
        await rejectsUsage(loadHttpServerConfig({ static: flags }), `--static: ${expected}`);
      }
    });
  });
});
