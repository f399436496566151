import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFrame, encodeJsonFrame, FrameFlag, FrameType } from '../src/protocol/frame-codec.js';
import { listenRaw, type RawListener } from '../src/protocol/raw-peer.test-helper.js';
import { curl } from './support/http-client.js';
import { type Running, startHttpServer, startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';

/** A response HEAD frame with `head` as its JSON payload. */
function headFrame(stream: number, head: object, end: boolean): Buffer {
  return encodeJsonFrame(FrameType.HEAD, end ? FrameFlag.END_STREAM : 0, stream, head);
}

/** A DATA frame carrying `body`. */
function dataFrame(stream: number, body: string, end: boolean): Buffer {
  return encodeFrame(FrameType.DATA, end ? FrameFlag.END_STREAM : 0, stream, Buffer.from(body));
}

/** What a misbehaving webframe sends for one request: raw frames, after `delay` ms. */
interface ScriptedAnswer {
  delay?: number;
  frames: (stream: number) => Buffer[];
}

/** What came back on one connection: every byte, and whether the server closed it. */
interface Exchange {
  text: string;
  closed: boolean;
}

/**
 * Sends `requests` pipelined on one connection and collects the answer until the server closes the connection
 * or `expected` responses have fully arrived (then it is still open).
 */
function pipelined(port: number, requests: string[], expected: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => finish(false), 15_000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (completeResponses(text) >= expected) finish(false);
    });
    socket.on('error', reject);
    socket.on('end', () => finish(true));
    socket.write(requests.map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
  });
}

/** How many complete Content-Length-framed responses `text` holds. */
function completeResponses(text: string): number {
  let count = 0;
  let rest = text;
  for (;;) {
    const split = rest.indexOf('\r\n\r\n');
    if (split === -1) return count;
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(rest.slice(0, split))?.[1] ?? 0);
    if (rest.length < split + 4 + length) return count;
    count++;
    rest = rest.slice(split + 4 + length);
  }
}

/** The status lines in what came back: more than one from a single response means a desync. */
function statusLines(text: string): string[] {
  return text.match(/HTTP\/1\.1 \d{3}[^\r]*/g) ?? [];
}

/** The body bytes after the first head. */
function firstBody(text: string): string {
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}

/** Waits until `output()` (what a process we started printed) matches `pattern`. */
async function logged(output: () => string, pattern: RegExp): Promise<void> {
  await waitFor(() => pattern.test(output()), `a log line matching ${pattern}`);
}

for (const model of ['event', 'prefork'] as const) {
  const modelFlags = ['--model', model, '--workers', '2'];

  describe(`webframe: a reply must be sent as it declares itself (--model ${model})`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      stack = await startStack(APP, { webframe: modelFlags, httpserver: modelFlags });
    });
    after(async () => {
      await stack?.stop();
    });

    for (const kind of ['long-stream', 'short-stream']) {
      test(`a streamed body that does not match its content-length (${kind}) is cut, never passed on`, async () => {
        const r = await pipelined(stack.httpserver.port, [`/wrong-length/${kind}`, '/echo-head'], 2);
        // The head may not have left yet when the excess shows: then the client sees no response at all.
        assert.ok(statusLines(r.text).length <= 1, `no second response, got:\n${r.text}`);
        assert.equal(r.closed, true, 'the connection is cut');
        assert.ok(firstBody(r.text).length < 10, 'fewer bytes than declared: the client sees a cut body');
        await logged(stack.webframe.stderr, /content-length 10/);
      });
    }

    for (const kind of ['long-bytes', 'short-text']) {
      test(`a body in memory that does not match its content-length (${kind}) answers 500`, async () => {
        const r = await pipelined(stack.httpserver.port, [`/wrong-length/${kind}`, '/echo-head'], 2);
        const lines = statusLines(r.text);
        assert.equal(lines.length, 2, r.text);
        assert.match(lines[0]!, /^HTTP\/1\.1 500 /);
        assert.match(lines[1]!, /^HTTP\/1\.1 200 /);
        await logged(
          stack.webframe.stderr,
          new RegExp(`^(?=.*/wrong-length/${kind})(?=.*content-length 10)`, 'm'),
        );
      });
    }

    for (const kind of ['crlf', 'name']) {
      test(`a view's header that no response may carry (${kind}) answers 500 for that request only`, async () => {
        const slow = Array.from({ length: 20 }, () => curl([`${stack.url}/sleep/300`]));
        const bad = await curl([`${stack.url}/bad-header/${kind}`]);
        assert.equal(bad.status, 500);
        assert.equal(bad.headers['set-cookie'], undefined);
        for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
        // Log lines are JSON: the quotes around the header's name are escaped.
        await logged(
          stack.webframe.stderr,
          kind === 'crlf' ? /header \\"location\\"/ : /header name \\"bad name\\"/,
        );
      });
    }
  });

  describe(`httpserver: a misbehaving webframe's reply never reaches the client as it is (--model ${model})`, () => {
    let fake: RawListener;
    let front: Running;
    before(async () => {
      const script = (info: string): ScriptedAnswer => {
        switch (info) {
          case '/long':
            return {
              frames: (s) => [
                headFrame(s, { status: 200, headers: { 'content-length': '10' } }, false),
                dataFrame(s, 'x'.repeat(20), true),
              ],
            };
          case '/short':
            return {
              frames: (s) => [
                headFrame(s, { status: 200, headers: { 'content-length': '10' } }, false),
                dataFrame(s, '12345', true),
              ],
            };
          case '/bad-length':
            return {
              frames: (s) => [
                headFrame(s, { status: 200, headers: { 'content-length': '1, 2' } }, false),
                dataFrame(s, 'x', true),
              ],
            };
          case '/bad-header':
            return {
              frames: (s) => [
                headFrame(s, { status: 302, headers: { location: '/a\r\nset-cookie: x=1' } }, true),
              ],
            };
          default:
            return { delay: 300, frames: (s) => [headFrame(s, { status: 200, data: 'ok' }, true)] };
        }
      };
      fake = await listenRaw((c) => {
        c.hello();
        c.onFrame = (frame) => {
          if (frame.type !== FrameType.HEAD) return;
          const answer = script((JSON.parse(frame.payload.toString('utf8')) as { info: string }).info);
          const send = () => c.socket.write(Buffer.concat(answer.frames(frame.stream)));
          if (answer.delay === undefined) send();
          else setTimeout(send, answer.delay);
        };
      });
      const config = join(tmpdir(), `tandem-${process.pid}-integrity-${model}.json`);
      writeFileSync(config, JSON.stringify({ connections: 1 }));
      front = await startHttpServer(fake.port, [...modelFlags, '--config', config]);
    });
    after(async () => {
      await front?.stop();
      await fake?.close();
    });

    for (const path of ['/long', '/short']) {
      test(`a body that does not match its content-length (${path}) is cut with a log line`, async () => {
        const r = await pipelined(front.port, [path, '/ok'], 2);
        assert.ok(statusLines(r.text).length <= 1, `no second response, got:\n${r.text}`);
        assert.equal(r.closed, true, 'the connection is cut');
        assert.ok(firstBody(r.text).length < 10, 'fewer bytes than declared');
        await logged(front.stderr, new RegExp(`"url":"${path}".*content-length 10`));
      });
    }

    test('a content-length that is not a number answers 502', async () => {
      const r = await curl([`http://127.0.0.1:${front.port}/bad-length`]);
      assert.equal(r.status, 502);
      assert.match(r.body, /content-length/);
    });

    test('a header no response may carry answers 502 Bad Gateway for that request only', async () => {
      const url = `http://127.0.0.1:${front.port}`;
      const slow = Array.from({ length: 20 }, () => curl([`${url}/ok`]));
      const r = await pipelined(front.port, ['/bad-header', '/ok'], 2);
      const lines = statusLines(r.text);
      assert.equal(lines.length, 2, r.text);
      assert.equal(lines[0], 'HTTP/1.1 502 Bad Gateway');
      assert.doesNotMatch(r.text, /set-cookie/i);
      assert.match(lines[1]!, /^HTTP\/1\.1 200 /);
      for (const answer of await Promise.all(slow)) assert.equal(answer.status, 200);
      await logged(front.stderr, /header \\"location\\"/);
    });
  });
}
