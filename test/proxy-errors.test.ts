import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFrame, FrameFlag, FrameType } from '../src/protocol/frame-codec.js';
import { curl, rawExchange } from './support/http-client.js';
import { CLI, startHttpServer, startProcess, startStack, startWebframe } from './support/processes.js';
import { RawHttpConnection } from './support/raw-http-connection.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';
let stack: Awaited<ReturnType<typeof startStack>>;
let port: number;

function configFile(name: string, config: unknown): string {
  const file = join(tmpdir(), `tandem-${process.pid}-${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

before(async () => {
  const config = configFile('limits', {
    limits: { maxBodySize: 100_000, maxHeaderSize: 4096 },
    timeouts: { upstream: 1000, headers: 800, request: 5000 },
  });
  stack = await startStack(APP, { httpserver: ['--config', config] });
  port = stack.httpserver.port;
});
after(async () => {
  await stack?.stop();
});

/** A free TCP port that nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const p = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return p;
}

describe('httpserver forwarding', () => {
  test('adds X-Forwarded-* and removes hop-by-hop headers', async () => {
    const r = await curl([
      '-H',
      'Connection: keep-alive, X-Secret',
      '-H',
      'X-Secret: 1',
      '-H',
      'Keep-Alive: 5',
      `${stack.url}/echo-head?q=1`,
    ]);
    const seen = JSON.parse(r.body);
    assert.equal(seen.info, '/echo-head?q=1');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], `127.0.0.1:${port}`);
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers.connection, undefined);
    assert.equal(seen.client.address, '127.0.0.1');
  });

  test('a streamed response without content-length is sent chunked with its status and headers', async () => {
    const r = await curl([`${stack.url}/stream/1000`]);
    assert.equal(r.status, 201);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['x-lines'], '1000');
    assert.equal(r.body.split('\n').length, 1001);
  });
});

describe('bad input gets a clear status and both processes keep serving', () => {
  test('no route → 404, wrong method → 405 with Allow', async () => {
    const missing = await curl([`${stack.url}/nothing-here`]);
    assert.equal(missing.status, 404);
    assert.match(missing.body, /Not found: \/nothing-here/);
    const wrong = await curl(['-X', 'POST', `${stack.url}/aborts`]);
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.allow ?? '', /GET/);
  });

  test('a view that throws → 500 without the stack when debug is off', async () => {
    const r = await curl([`${stack.url}/throw`]);
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.body, /fixture view failed on purpose|at .*views\.ts/);
    assert.equal((await curl([`${stack.url}/sleep/1`])).status, 200);
  });

  test('a body over the limit → 413, by Content-Length and while streaming chunked', async () => {
    const sized = await curl(['--data-binary', `@${writeBody(200_000)}`, `${stack.url}/count`]);
    assert.equal(sized.status, 413);
    assert.match(sized.body, /larger than the limit of 100000 bytes/);
    const chunked = await curl([
      '-H',
      'Transfer-Encoding: chunked',
      '--data-binary',
      `@${writeBody(300_000)}`,
      `${stack.url}/count`,
    ]);
    assert.equal(chunked.status, 413);
    const ok = await curl(['--data-binary', `@${writeBody(90_000)}`, `${stack.url}/count`]);
    assert.deepEqual(JSON.parse(ok.body), { bytes: 90_000 });
  });

  test('oversized headers → 431, malformed request → 400, slow client → 408', async () => {
    const big = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    const bad = await rawExchange(port, 'GET / HTTP/1.1\r\nHost x\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request[\s\S]*Bad request: /);
    const slow = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
    assert.match(slow, /^HTTP\/1\.1 408 /);
    assert.equal((await curl([`${stack.url}/sleep/1`])).status, 200);
  });

  test('no response head within the upstream timeout → 504', async () => {
    const r = await curl([`${stack.url}/sleep/3000`]);
    assert.equal(r.status, 504);
    assert.match(r.body, /no response head from webframe within 1000 ms/);
  });

  test('a client that hangs up → ABORT → the view sees its signal fire', async () => {
    const aborts = async (): Promise<number> => JSON.parse((await curl([`${stack.url}/aborts`])).body).aborts;
    const running = () => stack.webframe.stderr().split('view waiting for abort\n').length - 1;
    const before = await aborts();
    const ran = running();
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /wait-abort HTTP/1.1\r\nHost: x\r\n\r\n');
    // Sent is not enough: until the view runs, the hang-up has no signal to fire.
    await waitFor(() => running() > ran, 'the view to run');
    socket.destroy();
    let now = before;
    await waitFor(async () => {
      now = await aborts();
      return now !== before;
    }, "the view's signal to fire");
    assert.equal(now, before + 1);
  });

  test('malformed frames sent to the webframe close only that connection', async () => {
    const hello = encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"protocol":"tandem","version":1}'));
    const bad = encodeFrame(FrameType.HEAD, FrameFlag.END_STREAM, 1, Buffer.from('not json'));
    // Frames, not HTTP: what the webframe says comes before it closes the connection.
    const refused = async (bytes: Buffer): Promise<string> => {
      const connection = await RawHttpConnection.open(stack.webframe.port);
      connection.send(bytes);
      await connection.waitForClose();
      connection.destroy();
      return connection.text;
    };
    assert.match(await refused(Buffer.concat([hello, bad])), /HEAD payload is not valid JSON/);
    const wrongVersion = encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"protocol":"tandem","version":9}'));
    assert.match(await refused(wrongVersion), /unsupported protocol "tandem" version 9/);
    assert.equal((await curl([`${stack.url}/sleep/1`])).status, 200);
  });
});

describe('webframe down, back up', () => {
  test('502 while the webframe is down, then served again once it is back (reconnect)', async () => {
    const wfPort = await freePort();
    const front = await startHttpServer(wfPort);
    const url = `http://127.0.0.1:${front.port}`;
    try {
      const down = await curl([`${url}/sleep/1`]);
      assert.equal(down.status, 502);
      assert.match(
        down.body,
        new RegExp(`webframe at 127\\.0\\.0\\.1:${wfPort} is unreachable \\(ECONNREFUSED\\)`),
      );
      const webframe = await startWebframe(APP, ['--port', String(wfPort)]);
      await waitFor(
        async () => (await curl([`${url}/sleep/1`])).status === 200,
        'httpserver to reach the webframe again',
      );
      await webframe.stop();
      assert.equal((await curl([`${url}/sleep/1`])).status, 502);
    } finally {
      await front.stop();
    }
  });
});

describe('configuration errors name the file, the key and what was expected', () => {
  test('httpserver refuses a bad config file', async () => {
    const file = configFile('bad', { port: 'eighty' });
    await assert.rejects(
      startProcess(process.execPath, [CLI, 'httpserver', '--config', file], /never/),
      (err: Error) =>
        err.message.includes(`${file}: key "port": expected`) && err.message.includes('exited with 1'),
    );
  });

  test('a bad flag is a usage error', async () => {
    await assert.rejects(
      startProcess(process.execPath, [CLI, 'webframe', APP, '--port', 'x'], /never/),
      (err: Error) =>
        /--port: expected an integer from 0 to 65535, got "x"/.test(err.message) &&
        /exited with 2/.test(err.message),
    );
  });
});

function writeBody(size: number): string {
  const file = join(tmpdir(), `tandem-body-${process.pid}-${size}.bin`);
  writeFileSync(file, Buffer.alloc(size, 'b'));
  return file;
}
