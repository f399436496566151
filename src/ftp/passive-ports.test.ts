import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { loopbackChannel, replyPort } from './data-test-kit.test-helper.js';
import { listenPassive } from './passive-ports.js';

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Finds `count` consecutive free ports on 127.0.0.1 in the unprivileged, non-ephemeral area. */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 10000);
    const held: Server[] = [];
    for (let port = base; port < base + count; port++) {
      const server = await listen(port);
      if (server === undefined) break;
      held.push(server);
    }
    await Promise.all(held.map(close));
    if (held.length === count) return base;
  }
  throw new Error('no free port range found');
}

describe('passive port allocation', () => {
  test('rotates through the range: consecutive allocations get different ports', async () => {
    const base = await freeRange(3);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { server, port } = await listenPassive('127.0.0.1', base, base + 2);
      got.push(port);
      await close(server);
    }
    assert.deepEqual([...got].sort(), [base, base + 1, base + 2]);
  });

  test('skips ports in use and fails with 425 once the range is full', async () => {
    const base = await freeRange(3);
    const squatter = await listen(base + 1);
    assert.ok(squatter);
    const a = await listenPassive('127.0.0.1', base, base + 2);
    const b = await listenPassive('127.0.0.1', base, base + 2);
    assert.deepEqual([a.port, b.port].sort(), [base, base + 2]);
    await assert.rejects(
      listenPassive('127.0.0.1', base, base + 2),
      (err) => isError(err, errors.FTP_PASSIVE_UNAVAILABLE) && err.status === 425,
    );
    await Promise.all([close(squatter), close(a.server), close(b.server)]);
  });

  test('PASV of a DataChannel uses the configured range', async () => {
    const base = await freeRange(2);
    const channel = loopbackChannel({ portMin: base, portMax: base + 1 });
    const port = replyPort(await channel.passive());
    assert.ok(port === base || port === base + 1, `port ${port} outside ${base}-${base + 1}`);
    channel.abort();
  });

  test('0/0 lets the OS pick; an inverted range is refused', async () => {
    const { server, port } = await listenPassive('127.0.0.1', 0, 0);
    assert.ok(port > 0);
    await close(server);
    await assert.rejects(listenPassive('127.0.0.1', 5000, 4000), (err) =>
      isError(err, errors.FTP_PASSIVE_UNAVAILABLE),
    );
  });
});
