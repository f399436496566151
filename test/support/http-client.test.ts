import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange } from './http-client.js';
import { RawHttpConnection } from './raw-http-connection.js';
import { waitFor } from './wait-for.js';

const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const STRAY_HEAD = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n';
const UNFRAMED_HEAD = 'HTTP/1.1 200 OK\r\n\r\nsome';

describe('rawExchange and RawHttpConnection.exchange', () => {
  // Each connection gets the script its request target names; none closes unless the script says so.
  const late: Socket[] = [];
  const scripts: Record<string, (socket: Socket) => void> = {
    '/one': (s) => s.write(OK('hi')),
    '/two': (s) => {
      s.write(OK('a'));
      late.push(s);
    },
    '/chunked': (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n'),
    '/continue': (s) => s.write(`HTTP/1.1 100 Continue\r\n\r\n${OK('done')}`),
    '/head': (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'),
    '/stray': (s) => {
      s.write(STRAY_HEAD);
      late.push(s);
    },
    '/unframed': (s) => {
      s.write(UNFRAMED_HEAD);
      late.push(s);
    },
    '/not-http': (s) => s.write('SSH-2.0-nope\r\n\r\n'),
  };
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((socket) => {
      socket.once('data', (d) => scripts[d.toString('latin1').split(' ')[1] ?? '']?.(socket));
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  /** An exchange whose server sends the `rest` of its script only once the client has read `first`. */
  async function withLate(request: string, first: string, rest: (socket: Socket) => void): Promise<string> {
    const connection = await RawHttpConnection.open(port);
    try {
      const text = connection.exchange(request);
      await waitFor(() => connection.text === first, `the client to read ${JSON.stringify(first)}`);
      const socket = late.shift();
      if (socket !== undefined) rest(socket);
      return await text;
    } finally {
      connection.destroy();
    }
  }

  test('ends at the end of the response on a connection the server keeps open', async () => {
    assert.equal(await rawExchange(port, 'GET /one HTTP/1.1\r\nHost: x\r\n\r\n'), OK('hi'));
    assert.match(
      await rawExchange(port, 'GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n'),
      /\r\n\r\n2\r\nab\r\n0\r\n\r\n$/,
    );
  });

  test('waits for one response per pipelined request, and for a final response after a 100', async () => {
    const two = 'GET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n';
    const both = await withLate(two, OK('a'), (socket) => socket.write(OK('b')));
    assert.equal(both, OK('a') + OK('b'));
    const post = 'POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi';
    assert.match(
      await rawExchange(port, post),
      /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n.*done$/s,
    );
  });

  test('a response to HEAD has no body; a close it announces is waited for, bytes before it kept', async () => {
    assert.match(await rawExchange(port, 'HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n'), /Content-Length: 5\r\n/);
    const stray = await withLate('HEAD /stray HTTP/1.1\r\nHost: x\r\n\r\n', STRAY_HEAD, (socket) =>
      socket.end('stray'),
    );
    assert.equal(stray, `${STRAY_HEAD}stray`);
    const unframed = await withLate('GET /unframed HTTP/1.1\r\nHost: x\r\n\r\n', UNFRAMED_HEAD, (socket) =>
      socket.end(' more'),
    );
    assert.equal(unframed, `${UNFRAMED_HEAD} more`);
  });

  test('rejects what is not HTTP at once', async () => {
    await assert.rejects(rawExchange(port, 'GET /not-http HTTP/1.1\r\n\r\n'), /not a status line/);
  });
});
