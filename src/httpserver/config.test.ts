import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultHttpServerConfig, loadHttpServerConfig } from './config.js';
import { configDir, rejectsUsage } from './config-fixture.test-helper.js';

describe('loadHttpServerConfig', () => {
  const tmp = configDir();
  const { configFile } = tmp;

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
      timeouts: {
        headers: 30000,
        request: 300000,
        keepAlive: 5000,
        upstream: 60000,
        send: 60000,
        drain: 30000,
      },
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
    assert.deepEqual(config.timeouts, {
      headers: 30000,
      request: 300000,
      keepAlive: 5000,
      upstream: 1000,
      send: 60000,
      drain: 30000,
    });
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

  it('names the flag for a bad flag, as a usage error', async () => {
    await rejectsUsage(
      loadHttpServerConfig({ port: 'abc' }),
      '--port: expected an integer from 0 to 65535, got "abc"',
    );
    await rejectsUsage(
      loadHttpServerConfig({ port: '65536' }),
      '--port: expected an integer from 0 to 65535, got 65536',
    );
    await rejectsUsage(
      loadHttpServerConfig({ webframe: 'nowhere' }),
      '--webframe: expected HOST:PORT such as 127.0.0.1:8806 or [::1]:8806, got "nowhere"',
    );
    await rejectsUsage(
      loadHttpServerConfig({ host: 'a b' }),
      '--host: expected an IP address or host name, got "a b"',
    );
  });

  it('takes the concurrency model and workers from the file, flags winning', async () => {
    const file = await configFile('model.json', { model: 'thread', workers: 4 });
    const fromFile = await loadHttpServerConfig({ config: file });
    assert.deepEqual([fromFile.model, fromFile.workers], ['thread', 4]);
    const fromFlags = await loadHttpServerConfig({ config: file, model: 'prefork', workers: '3' });
    assert.deepEqual([fromFlags.model, fromFlags.workers], ['prefork', 3]);
    await rejectsUsage(
      loadHttpServerConfig({ model: 'forking' }),
      '--model: expected one of loop, event, fork, prefork, thread, got "forking"',
    );
    await rejectsUsage(
      loadHttpServerConfig({ workers: '0' }),
      '--workers: expected an integer from 1 to 256, got 0',
    );
  });

  it('leaves the engine unset by default (serveHttp picks), takes it from the file, flags winning', async () => {
    assert.equal((await loadHttpServerConfig({})).engine, undefined);
    const file = await configFile('engine.json', { engine: 'node' });
    assert.equal((await loadHttpServerConfig({ config: file })).engine, 'node');
    assert.equal((await loadHttpServerConfig({ config: file, engine: 'llhttp' })).engine, 'llhttp');
    await rejectsUsage(
      loadHttpServerConfig({ engine: 'nginx' }),
      '--engine: expected one of llhttp, node, got "nginx"',
    );
  });
});
