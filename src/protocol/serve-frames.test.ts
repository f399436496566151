import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errors } from '../errors/catalogue.js';
import type { Handler, HttpReply } from '../http/handler.js';
import { ClientSession, type ClientStream, type ResponseEvents } from './client-session.js';
import { type CheckedResponseHead, ErrorCode, type RequestHead } from './frame-codec.js';
import { type FramesListener, listenFrames } from './serve-frames.test-helper.js';

const head = (method: string, info: string, headers: Record<string, string> = {}): RequestHead => ({
  method,
  info,
  version: '1.1',
  scheme: 'http',
  client: { address: '127.0.0.1', port: 1 },
  headers,
});

/** Everything the client end heard about one stream, in order. */
interface Heard {
  head: CheckedResponseHead | undefined;
  headEnded: boolean;
  body: Buffer;
  events: string[];
  stream: ClientStream;
}

/** Sends a request and records what is heard until onDone or onAbort; while `consume()` is false no credit goes back. */
function exchange(
  c: ClientSession,
  h: RequestHead,
  options: { consume?: () => boolean; body?: Buffer; onData?: (heard: Heard) => void } = {},
): { heard: Heard; finished: Promise<Heard> } {
  const chunks: Buffer[] = [];
  const heard = { head: undefined, headEnded: false, body: Buffer.alloc(0), events: [] } as unknown as Heard;
  let finish!: () => void;
  const finished = new Promise<Heard>((resolve) => {
    finish = () => resolve(heard);
  });
  const events: ResponseEvents = {
    onHead(response, end) {
      heard.head = response;
      heard.headEnded = end;
      heard.events.push('head');
    },
    onData(chunk) {
      chunks.push(Buffer.from(chunk));
      heard.body = Buffer.concat(chunks);
      if (chunk.length > 0) heard.events.push('data');
      if (options.consume?.() ?? true) heard.stream.consumed(chunk.length);
      options.onData?.(heard);
    },
    onDone() {
      heard.events.push('done');
      finish();
    },
    onAbort(code) {
      heard.events.push(`abort ${code}`);
      finish();
    },
  };
  heard.stream = c.request(h, options.body === undefined, events);
  if (options.body !== undefined) heard.stream.write(options.body, false);
  return { heard, finished };
}

describe('serveFrames runs the Handler contract on the server end', () => {
  let dir: string;
  let file: Buffer;
  let returned: string[];
  let srv: FramesListener;
  let c: ClientSession;

  const chunks = (path: string): AsyncIterable<Uint8Array> => ({
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        returned.push(`${path} pulled`);
        return { value: Buffer.from('chunk'), done: false };
      },
      return: async () => {
        returned.push(`${path} returned`);
        return { value: undefined, done: true };
      },
    }),
  });

  const handler: Handler = (req) => {
    const { target } = req;
    const replies: Record<string, () => HttpReply | null> = {
      '/text': () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      '/bytes': () => ({ status: 200, body: Buffer.from('héllo') }),
      '/chunks': () => ({ status: 200, body: chunks('/chunks') }),
      '/file': () => ({ status: 200, body: { path: join(dir, 'f.bin'), start: 1000, end: 300_999 } }),
      '/no-content': () => ({ status: 204, headers: { 'x-a': '1' }, body: 'dropped' }),
      '/not-modified': () => ({ status: 304, body: chunks('/not-modified') }),
      '/none': () => null,
      '/forbidden': () => {
        throw errors.HTTP_FORBIDDEN('/forbidden');
      },
    };
    return (replies[target] ?? (() => null))();
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serve-frames-'));
    file = randomBytes(400_000);
    await writeFile(join(dir, 'f.bin'), file);
    srv = await listenFrames(handler, { initialWindow: 65536 });
    c = new ClientSession(connect(srv.port, '127.0.0.1'), { initialWindow: 65536 });
    c.connection.start();
    await c.connection.ready;
  });
  after(() => {
    c.connection.destroy();
    srv.close();
  });

  test('no HEAD body crosses the wire: a string, bytes or file range tells its length, chunks are not pulled', async () => {
    returned = [];
    const text = await exchange(c, head('HEAD', '/text')).finished;
    assert.deepEqual(
      [text.headEnded, text.head?.data, text.head?.headers['content-length']],
      [true, undefined, '5'],
    );
    assert.equal(text.head?.headers['content-type'], 'text/plain');
    const bytes = await exchange(c, head('HEAD', '/bytes')).finished;
    assert.deepEqual([bytes.headEnded, bytes.head?.headers['content-length']], [true, '6']);
    const range = await exchange(c, head('HEAD', '/file')).finished;
    assert.deepEqual([range.headEnded, range.head?.headers['content-length']], [true, '300000']);
    const streamed = await exchange(c, head('HEAD', '/chunks')).finished;
    assert.equal(streamed.headEnded, true);
    assert.equal(streamed.head?.headers['content-length'], undefined);
    assert.deepEqual(returned, ['/chunks returned']);
    for (const heard of [text, bytes, range, streamed]) assert.deepEqual(heard.events, ['head', 'done']);
  });

  test('204 and 304 go without a body and without an invented content-length', async () => {
    returned = [];
    const noContent = await exchange(c, head('GET', '/no-content')).finished;
    assert.deepEqual(
      [noContent.head?.status, noContent.headEnded, noContent.head?.data],
      [204, true, undefined],
    );
    assert.deepEqual(noContent.head?.headers, { 'x-a': '1' });
    const notModified = await exchange(c, head('GET', '/not-modified')).finished;
    assert.deepEqual([notModified.head?.status, notModified.headEnded], [304, true]);
    assert.deepEqual(returned, ['/not-modified returned']);
  });

  test('a file range is read from disk and sent within credit', async () => {
    let stalled!: () => void;
    const atWindow = new Promise<void>((resolve) => {
      stalled = resolve;
    });
    let consume = false;
    const { heard, finished } = exchange(c, head('GET', '/file'), {
      consume: () => consume,
      onData: (h) => {
        if (h.body.length >= 65536) stalled();
      },
    });
    await atWindow;
    // The client granted no credit back: the webframe stops at one window, with the stream still open.
    await c.connection.ping();
    assert.equal(heard.body.length, 65536);
    assert.deepEqual(heard.events.slice(-1), ['data']);
    assert.equal(heard.head?.headers['content-length'], '300000');
    consume = true;
    heard.stream.consumed(heard.body.length);
    const whole = await finished;
    assert.deepEqual(whole.events.slice(-1), ['done']);
    assert.ok(whole.body.equals(file.subarray(1000, 301_000)));
  });

  test('a null reply is a 404 naming the path; a thrown TandemError is its page, HTML for a browser', async () => {
    const missing = await exchange(c, head('GET', '/none?x=1')).finished;
    assert.equal(missing.head?.status, 404);
    assert.equal(
      `${missing.head?.data ?? missing.body.toString()}`,
      `${errors.HTTP_NOT_FOUND('/none').message}\n`,
    );
    const browser = await exchange(c, head('GET', '/forbidden', { accept: 'text/html,*/*;q=0.8' })).finished;
    assert.equal(browser.head?.status, 403);
    assert.match(browser.head?.headers['content-type'] as string, /^text\/html/);
    assert.match(browser.head?.data ?? browser.body.toString(), /<p>Forbidden: \/forbidden<\/p>/);
  });

  test('a reply complete while its request body still comes ends done (ABORT NO_ERROR), not aborted', async () => {
    const { heard, finished } = exchange(c, head('POST', '/text'), { body: Buffer.alloc(10, 1) });
    await finished;
    assert.deepEqual(heard.events, ['head', 'done']);
    assert.equal(heard.stream.open, false);
    assert.equal(heard.stream.write(Buffer.alloc(1)), false, 'the body is not wanted any more');
  });

  test('a stream the client aborts hears neither onDone nor onAbort', async () => {
    // The webframe answers 404 at once; that answer crosses the ABORT on the wire and is dropped.
    const { heard } = exchange(c, head('POST', '/none'), { body: Buffer.alloc(1) });
    heard.stream.abort(ErrorCode.CANCEL, 'gone');
    await c.connection.ping();
    assert.deepEqual(heard.events, []);
  });
});
