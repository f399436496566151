import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { loadHttpServerConfig } from './config.js';
import { configDir, rejectsInvalid } from './config-fixture.test-helper.js';

describe('loadHttpServerConfig', () => {
  const tmp = configDir();
  const { configFile } = tmp;

  it('reports a missing file as unreadable', async () => {
    const file = join(tmp.path, 'absent.json');
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

  it('names the engines for an unknown "engine"', async () => {
    const file = await configFile('engine.json', { engine: 'nginx' });
    await rejectsInvalid(
      loadHttpServerConfig({ config: file }),
      `${file}: key "engine": expected one of llhttp, node, got "nginx"`,
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
      `${file}: key "timeouts.upstrem": unknown key; expected one of headers, request, keepAlive, upstream, send, drain`,
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
});
