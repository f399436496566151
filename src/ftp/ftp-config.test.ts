import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { defaultFtpConfig, type FtpServerFlags, loadFtpConfig } from './ftp-config.js';
import { hashPassword } from './password-hash.js';

describe('loadFtpConfig', () => {
  let dir: string;
  let hash: string;

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'tandem-ftp-config-')));
    await mkdir(join(dir, 'srv', 'pub', 'alice'), { recursive: true });
    await mkdir(join(dir, 'other'));
    await writeFile(join(dir, 'srv', 'file.txt'), 'x');
    await symlink(join(dir, 'other'), join(dir, 'srv', 'escape'));
    hash = await hashPassword('pw');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configFile(name: string, content: unknown): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  function throwsInvalid(flags: FtpServerFlags, message: string, entry = errors.CONFIG_INVALID): void {
    assert.throws(
      () => loadFtpConfig(flags),
      (err: unknown) => {
        assert.ok(isError(err, entry), String(err));
        assert.equal(err.message, message);
        return true;
      },
    );
  }

  it('gives the defaults, root = the working directory, frozen', async () => {
    const config = loadFtpConfig({});
    assert.deepEqual(config, { ...defaultFtpConfig, root: await realpath(process.cwd()) });
    assert.deepEqual(
      { ...config, root: '' },
      {
        root: '',
        host: '127.0.0.1',
        port: 2121,
        anonymous: true,
        users: [],
        passive: { portMin: 0, portMax: 0 },
        active: false,
        limits: { connections: 200, perAddress: 50, loginFailures: 3, failedLoginDelay: 1000 },
        timeouts: { idle: 300_000, data: 60_000, login: 60_000 },
        model: 'event',
        workers: 2,
        debug: false,
      },
    );
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits) && Object.isFrozen(config.users));
  });

  it('reads the file, root relative to its directory, and merges nested keys one by one', async () => {
    const file = await configFile('full.json', {
      root: './srv',
      host: '0.0.0.0',
      port: 2222,
      anonymous: false,
      users: [
        { name: 'alice', password: hash, write: true, home: '/pub/alice/' },
        { name: 'bob', password: hash },
      ],
      passive: { portMin: 30000, portMax: 30009, address: '203.0.113.5' },
      active: true,
      limits: { perAddress: 5 },
      timeouts: { data: 1000 },
      model: 'prefork',
      workers: 4,
      debug: true,
    });
    const config = loadFtpConfig({ config: file });
    assert.deepEqual(config, {
      root: join(dir, 'srv'),
      host: '0.0.0.0',
      port: 2222,
      anonymous: false,
      users: [
        { name: 'alice', passwordHash: hash, write: true, home: 'pub/alice' },
        { name: 'bob', passwordHash: hash, write: false, home: '' },
      ],
      passive: { portMin: 30000, portMax: 30009, address: '203.0.113.5' },
      active: true,
      limits: { connections: 200, perAddress: 5, loginFailures: 3, failedLoginDelay: 1000 },
      timeouts: { idle: 300_000, data: 1000, login: 60_000 },
      model: 'prefork',
      workers: 4,
      debug: true,
    });
    assert.ok(Object.isFrozen(config.users[0]) && Object.isFrozen(config.passive));
  });

  it('lets flags override the file; the ROOT flag is relative to the working directory', async () => {
    const file = await configFile('flags.json', { root: './srv', port: 2222, host: '0.0.0.0', debug: true });
    const config = loadFtpConfig({
      config: file,
      root: relative(process.cwd(), join(dir, 'other')),
      host: '::1',
      port: '0',
      model: 'fork',
      workers: '3',
      debug: false,
      active: true,
    });
    assert.equal(config.root, join(dir, 'other'));
    assert.equal(config.host, '::1');
    assert.equal(config.port, 0);
    assert.equal(config.model, 'fork');
    assert.equal(config.workers, 3);
    assert.equal(config.debug, false);
    assert.equal(config.active, true);
  });

  it('realpaths the root', async () => {
    await symlink(join(dir, 'srv'), join(dir, 'srv-link'));
    assert.equal(loadFtpConfig({ root: join(dir, 'srv-link') }).root, join(dir, 'srv'));
  });

  it('names the file, the key, what was expected and what was got', async () => {
    const cases: [content: unknown, message: string][] = [
      [{ port: 70000 }, 'key "port": expected an integer from 0 to 65535, got 70000'],
      [
        { prot: 21 },
        'key "prot": unknown key; expected one of root, host, port, anonymous, users, passive, active, limits, timeouts, model, workers, debug',
      ],
      [
        { limits: { perIp: 3 } },
        'key "limits.perIp": unknown key; expected one of connections, perAddress, loginFailures, failedLoginDelay',
      ],
      [{ anonymous: 'yes' }, 'key "anonymous": expected true or false, got "yes"'],
      [
        { root: './missing' },
        `key "root": expected an existing directory (${join(dir, 'missing')} does not exist), got "./missing"`,
      ],
      [
        { root: './srv/file.txt' },
        `key "root": expected an existing directory (${join(dir, 'srv', 'file.txt')} is not a directory), got "./srv/file.txt"`,
      ],
      [
        { users: {} },
        'key "users": expected an array of { "name", "password", "write", "home" } objects, got an object',
      ],
      [
        { users: [{ name: 'a b', password: hash }] },
        'key "users.0.name": expected a user name of 1 to 64 printable characters without spaces, got "a b"',
      ],
      [
        { users: [{ name: 'Anonymous', password: hash }] },
        'key "users.0.name": expected a name other than "anonymous" and "ftp" (reserved for anonymous login), got "Anonymous"',
      ],
      [
        { users: [{ name: 'a', password: 'pw' }] },
        'key "users.0.password": expected a password hash from `tandem ftpd --hash-password` ("scrypt$8192$8$2$..."), got "pw"',
      ],
      [
        {
          users: [
            { name: 'a', password: hash },
            { name: 'a', password: hash },
          ],
        },
        'key "users.1.name": expected each name once, got "a"',
      ],
      [
        { users: [{ name: 'a', password: hash, home: '../other' }] },
        'key "users.0.home": expected a directory below root such as "pub/alice", without "..", "." or backslash, got "../other"',
      ],
      [
        { users: [{ name: 'a', password: hash, passwordHash: hash }] },
        'key "users.0.passwordHash": unknown key; expected one of name, password, write, home',
      ],
      [
        { passive: { portMin: 30000 } },
        'key "passive.portMax": expected portMin and portMax both 0 (any port) or both set, got 0',
      ],
      [
        { passive: { portMin: 30010, portMax: 30000 } },
        'key "passive.portMax": expected portMax at least portMin (30010), got 30000',
      ],
      [
        { passive: { address: '::1' } },
        'key "passive.address": expected an IPv4 address such as 203.0.113.5, got "::1"',
      ],
      [
        { model: 'thread' },
        'key "model": expected one of event, fork, prefork (ftpd connections are long-lived), got "thread"',
      ],
      [[], 'key "(top level)": expected an object, got an array'],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const file = await configFile(`bad-${i}.json`, { root: './srv', ...(content as object) });
      const effective = Array.isArray(content) ? await configFile(`bad-${i}.json`, content) : file;
      throwsInvalid({ config: effective }, `${effective}: ${message}`);
    }
  });

  it('checks that a home exists inside root', async () => {
    const missing = await configFile('home-missing.json', {
      root: './srv',
      users: [{ name: 'a', password: hash, home: 'nope' }],
    });
    throwsInvalid(
      { config: missing },
      `${missing}: key "users.0.home": expected an existing directory (${join(dir, 'srv', 'nope')} does not exist), got "nope"`,
    );
    const escapes = await configFile('home-escape.json', {
      root: './srv',
      users: [{ name: 'a', password: hash, home: 'escape' }],
    });
    throwsInvalid(
      { config: escapes },
      `${escapes}: key "users.0.home": expected a directory inside root (${join(dir, 'other')} is outside), got "escape"`,
    );
  });

  it('reports a bad flag or ROOT by its name, as a usage error (as every command does)', () => {
    const cases: [FtpServerFlags, string][] = [
      [{ port: 'abc' }, '--port: expected an integer from 0 to 65535, got "abc"'],
      [{ workers: '0' }, '--workers: expected an integer from 1 to 256, got 0'],
      [
        { model: 'x' },
        '--model: expected one of event, fork, prefork (ftpd connections are long-lived), got "x"',
      ],
      [{ host: 'bad host' }, '--host: expected an IP address or host name, got "bad host"'],
      [
        { root: join(dir, 'nope') },
        `ROOT: expected an existing directory (${join(dir, 'nope')} does not exist), got "${join(dir, 'nope')}"`,
      ],
    ];
    for (const [flags, message] of cases) throwsInvalid(flags, message, errors.CLI_USAGE);
  });

  it('reports a missing or unparsable file as unreadable', async () => {
    const missing = join(dir, 'missing.json');
    assert.throws(
      () => loadFtpConfig({ config: missing }),
      (err: unknown) =>
        isError(err, errors.CONFIG_UNREADABLE) &&
        err.message === `${missing}: cannot read config: file not found`,
    );
    const broken = await configFile('broken.json', '{ "port": ');
    assert.throws(
      () => loadFtpConfig({ config: broken }),
      (err: unknown) =>
        isError(err, errors.CONFIG_UNREADABLE) &&
        err.message.startsWith(`${broken}: cannot read config: invalid JSON`),
    );
    const bom = await configFile('bom.json', `\ufeff${JSON.stringify({ root: './srv', port: 2300 })}`);
    assert.equal(loadFtpConfig({ config: bom }).port, 2300);
  });
});
