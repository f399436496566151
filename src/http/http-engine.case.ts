import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RawHttpConnection } from '../../test/support/raw-http-connection.js';
import { waitFor } from '../../test/support/wait-for.js';
import type { WireResponse } from '../../test/support/wire-response.js';
import { NetServer } from '../net/net-server.js';
import type { AccessLogEntry } from './access-log.js';
import type { Handler, HttpReply, HttpRequest } from './handler.js';
import type { HttpEngineName, ServeHttpOptions } from './http-engine.js';
import { serveHttp } from './serve-http.js';
import { splitTarget } from './target.js';

/** The major version of Node running the suite: node:http's limits differ between them. */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
/** The largest request body of the main server: bodies over it get 413. */
const MAX_BODY = 1024;
/** The main server's head limit: roomy, so that MANY_FIELDS break the count, not the size. */
const MAX_HEAD = 64 * 1024;
/** More header fields than an engine takes (node:http on Node 22 and later: 1,000), in well under MAX_HEAD. */
const MANY_FIELDS = 4000;
/** The short server's timeouts, in ms: each timeout case takes well under a second. */
const SHORT = { headersTimeout: 400, requestTimeout: 800, keepAliveTimeout: 400, sendTimeout: 400 };
/** Timeouts no busy machine trips in a test. */
const ROOMY = {
  headersTimeout: 10_000,
  requestTimeout: 20_000,
  keepAliveTimeout: 10_000,
  sendTimeout: 10_000,
};
/** What an endless body of chunks offers a client that never reads, and what the engine may pull of it. */
const ENDLESS = { chunk: 64 * 1024, total: 1 << 30, bound: 64 << 20 };
/** The body in memory that a client that never reads is sent. */
const BIG_BYTES = 32 << 20;
/** Answers of /pattern a client that does not read is sent, pipelined: megabytes, more than socket buffers hold. */
const PATTERNS = { count: 400, bytes: 16_000 };

/** The body of `/pattern?n=N`: bytes that differ from every other N's. */
function pattern(n: number): Buffer {
  return Buffer.from(Array.from({ length: PATTERNS.bytes }, (_, k) => (n * 7 + k) % 256));
}
/** The upload a handler leaves unread at first, and how much of it the client may hand the kernel. */
const UPLOAD = { chunk: 64 * 1024, total: 64 << 20, bound: 32 << 20 };

/** A request head with a Host; `fields` are extra lines, each with its CRLF. */
function get(target: string, fields = '', method = 'GET'): string {
  return `${method} ${target} HTTP/1.1\r\nHost: x\r\n${fields}\r\n`;
}

/** A bad request of the refusal table: refused with `status`; `node` says why node:http differs, if it does. */
interface Refusal {
  name: string;
  /** The request, sent as latin1; `TARGET` in it is replaced by a path unique to the case. */
  bytes: string;
  status: number;
  /** True when the head is fine and only the body is bad: the handler may have started by then. */
  badBody?: boolean;
  node?: string | undefined;
}

/** A refusal with 400 unless `more` says otherwise. */
const bad = (name: string, bytes: string, more: Partial<Refusal> = {}): Refusal => ({
  name,
  bytes,
  status: 400,
  ...more,
});
const POST = (fields: string, body: string) => `POST TARGET HTTP/1.1\r\nHost: x\r\n${fields}\r\n${body}`;
const GET = (fields: string) => `GET TARGET HTTP/1.1\r\nHost: x\r\n${fields}\r\n`;
const CHUNKED = 'Transfer-Encoding: chunked\r\n';
const BODY = { badBody: true };
const TE_CHECKED_LATE = {
  node: 'node:http hands the request to its handler before llhttp refuses a Transfer-Encoding that does not end in chunked (llhttp checks it after on_headers_complete)',
};

/**
 * Every framing a smuggler could use to make two parsers disagree (RFC 9112 §6.1, §6.3: CL.TE, TE.CL, TE
 * obfuscations, duplicate or malformed Content-Length), every malformed line (§2.2 bare CR and LF, §5.2
 * obs-fold, control bytes), and the limits of the head: refused, and nothing behind them runs.
 */
const REFUSALS: Refusal[] = [
  bad('CL.TE: Content-Length then Transfer-Encoding', POST(`Content-Length: 5\r\n${CHUNKED}`, '0\r\n\r\n')),
  bad('TE.CL: Transfer-Encoding then Content-Length', POST(`${CHUNKED}Content-Length: 5\r\n`, '0\r\n\r\n')),
  bad(
    'HTTP/1.0 with Content-Length and Transfer-Encoding',
    'POST TARGET HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  ),
  bad('Transfer-Encoding: chunked, identity', POST('Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n')),
  bad('Transfer-Encoding twice (chunked applied twice)', POST(`${CHUNKED}${CHUNKED}`, '0\r\n\r\n')),
  bad('Transfer-Encoding: xchunked', POST('Transfer-Encoding: xchunked\r\n', '0\r\n\r\n'), TE_CHECKED_LATE),
  bad(
    'Transfer-Encoding: gzip (not ending in chunked)',
    POST('Transfer-Encoding: gzip\r\n', '0\r\n\r\n'),
    TE_CHECKED_LATE,
  ),
  bad(
    'a space before the colon (Transfer-Encoding : chunked)',
    POST('Transfer-Encoding : chunked\r\n', '0\r\n\r\n'),
  ),
  bad('a vertical tab before chunked', POST('Transfer-Encoding: \x0bchunked\r\n', '0\r\n\r\n')),
  bad('Content-Length twice, the same value', POST('Content-Length: 3\r\nContent-Length: 3\r\n', 'abc')),
  bad('Content-Length twice, two values', POST('Content-Length: 3\r\nContent-Length: 4\r\n', 'abcd')),
  bad('Content-Length: 3, 3 (a list)', POST('Content-Length: 3, 3\r\n', 'abc')),
  bad('Content-Length: +3 (signed)', POST('Content-Length: +3\r\n', 'abc')),
  bad('Content-Length: -3 (negative)', POST('Content-Length: -3\r\n', 'abc')),
  bad('Content-Length: 0x3 (hex)', POST('Content-Length: 0x3\r\n', 'abc')),
  bad('Content-Length: 3a', POST('Content-Length: 3a\r\n', 'abc')),
  bad('Content-Length: 1 3 (a space inside)', POST('Content-Length: 1 3\r\n', 'abc')),
  bad('Content-Length empty', POST('Content-Length: \r\n', 'abc')),
  bad('Content-Length past 2^64', POST('Content-Length: 99999999999999999999999\r\n', 'abc')),
  bad('bare LF line ends throughout', 'GET TARGET HTTP/1.1\nHost: x\n\n'),
  bad('bare LF after the request line', 'GET TARGET HTTP/1.1\nHost: x\r\n\r\n'),
  bad('bare LF after a header line', 'GET TARGET HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n'),
  bad('bare LF ending the head', 'GET TARGET HTTP/1.1\r\nHost: x\r\n\n'),
  bad('bare LF after a chunk size', POST(CHUNKED, '3\nabc\r\n0\r\n\r\n'), BODY),
  bad('bare LF after chunk data', POST(CHUNKED, '3\r\nabc\n0\r\n\r\n'), BODY),
  bad('bare LF in a chunk extension', POST(CHUNKED, '3;a\nb\r\nabc\r\n0\r\n\r\n'), BODY),
  bad('bare CR ending a header line', 'GET TARGET HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n'),
  bad('bare CR inside a header value', GET('X-A: a\rb\r\n')),
  bad('obs-fold with a space', GET('X-A: a\r\n b\r\n')),
  bad('obs-fold with a tab', GET('X-A: a\r\n\tb\r\n')),
  bad('NUL in a header value', GET('X-A: a\x00b\r\n')),
  bad('a control byte (0x01) in a header value', GET('X-A: a\x01b\r\n')),
  bad('ESC in a header value', GET('X-A: a\x1bb\r\n')),
  bad('DEL in a header value', GET('X-A: a\x7fb\r\n')),
  bad('NUL in the target', 'GET TARGET\x00x HTTP/1.1\r\nHost: x\r\n\r\n'),
  bad('a space inside a field name', GET('X A: b\r\n')),
  bad('an empty field name', GET(': b\r\n')),
  bad('whitespace before the first field', 'GET TARGET HTTP/1.1\r\n Host: x\r\n\r\n'),
  bad('an unknown HTTP version (HTTP/1.2)', 'GET TARGET HTTP/1.2\r\nHost: x\r\n\r\n'),
  bad('a chunk size with a bad character', POST(CHUNKED, '3x\r\nabc\r\n0\r\n\r\n'), BODY),
  bad('a chunk size with a space', POST(CHUNKED, '3 \r\nabc\r\n0\r\n\r\n'), BODY),
  bad('a chunk size past 2^64', POST(CHUNKED, 'fffffffffffffffffff\r\nabc\r\n0\r\n\r\n'), BODY),
  bad('chunk data longer than its size', POST(CHUNKED, '3\r\nabcXX\r\n0\r\n\r\n'), BODY),
  bad(`a head over the limit (${MAX_HEAD} bytes)`, GET(`X-Big: ${'a'.repeat(MAX_HEAD + 1024)}\r\n`), {
    status: 431,
  }),
  bad(
    `more header fields than the limit (${MANY_FIELDS})`,
    GET(Array.from({ length: MANY_FIELDS }, (_, i) => `x${i}: 1\r\n`).join('')),
    {
      status: 431,
      node:
        NODE_MAJOR < 22
          ? 'node:http on Node 20 keeps about the first 1,000 fields and drops the rest without a word (Node 22 and later answer 431)'
          : undefined,
    },
  ),
  bad('a method the parser does not know (FROB) → 501, not 400', 'FROB TARGET HTTP/1.1\r\nHost: x\r\n\r\n', {
    status: 501,
  }),
  bad('HTTP/1.1 without Host', 'GET TARGET HTTP/1.1\r\n\r\n'),
  bad('HTTP/1.1 with two Host fields (§3.2)', 'GET TARGET HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'),
];

/** A reply no engine may write as it is: each would split the response or forge a header. */
interface Injection {
  kind: string;
  reply: HttpReply;
  /** Why node:http fails it, slowly (the client waits for an answer that never comes). */
  nodeSkip?: string;
}

const INJECTIONS: Injection[] = [
  { kind: 'CRLF in a value', reply: { status: 200, headers: { 'x-a': 'a\r\nX-Injected: 1' }, body: 'x' } },
  { kind: 'LF in a value', reply: { status: 200, headers: { 'x-a': 'a\nX-Injected: 1' }, body: 'x' } },
  { kind: 'CR in a value', reply: { status: 200, headers: { 'x-a': 'a\rX-Injected: 1' }, body: 'x' } },
  { kind: 'NUL in a value', reply: { status: 200, headers: { 'x-a': 'a\0X-Injected: 1' }, body: 'x' } },
  {
    kind: 'CRLF in one set-cookie of several',
    reply: { status: 200, headers: { 'set-cookie': ['a=1', 'b=2\r\nX-Injected: 1'] }, body: 'x' },
  },
  { kind: 'CRLF in a name', reply: { status: 200, headers: { 'x-a\r\nX-Injected': '1' }, body: 'x' } },
  { kind: 'a space in a name', reply: { status: 200, headers: { 'x-a X-Injected': '1' }, body: 'x' } },
  {
    kind: 'CRLF in the reason phrase',
    reply: { status: 200, reason: 'OK\r\nX-Injected: 1', body: 'x' },
  },
  {
    kind: 'a status out of range (1200)',
    reply: { status: 1200, headers: { 'x-injected': '1' }, body: 'x' },
  },
];

/** What a Gate lets through once opened. */
interface Gate {
  promise: Promise<void>;
  open: () => void;
}

/**
 * Declares the conformance suite of HTTP engine `engine` (issue 14): every rule an engine running a Handler
 * keeps, checked with raw bytes over real sockets. Where node:http (the `node` engine) differs and cannot
 * simply be made to comply, the case is marked for that engine only, and its reason says why.
 */
export function httpEngineSuite(engine: HttpEngineName): void {
  /** The options of a case that node:http fails, for the node engine only: a todo that says why. */
  const nodeDiffers = (reason: string | undefined) =>
    engine === 'node' && reason !== undefined ? { todo: reason } : {};
  /** The options of a case that node:http fails slowly (it waits out a timeout), for the node engine: skipped. */
  const nodeSkips = (reason: string) => (engine === 'node' ? { skip: reason } : {});

  describe(`HTTP engine ${engine} (conformance, raw bytes)`, () => {
    /** `METHOD target` of every handler call, in the order they started. */
    const calls: string[] = [];
    /** Handler calls and gate openings in order, for the order of unsafe methods. */
    const events: string[] = [];
    const gates = new Map<string, Gate>();
    const endless = { pulled: 0, stopped: false };
    /** The sizes of the body chunks a `/record?name=` handler has read so far, by name. */
    const reads = new Map<string, number[]>();
    /** How the body read of a `/record?name=` handler ended: `whole` or `failed`. */
    const bodyOutcomes = new Map<string, 'whole' | 'failed'>();
    /** One entry per request (ServeHttpOptions.accessLog): a cut connection's too. */
    const logged: AccessLogEntry[] = [];
    /** What handlers threw (a body read cut by a refusal): kept off stderr. */
    const failures: unknown[] = [];
    const servers: NetServer[] = [];
    const connections: RawHttpConnection[] = [];
    let main: number;
    let short: number;
    let bulk: number;

    const gate = (name: string): Gate => {
      let found = gates.get(name);
      if (found === undefined) {
        let open = () => {};
        const promise = new Promise<void>((resolve) => (open = resolve));
        found = { promise, open };
        gates.set(name, found);
      }
      return found;
    };
    const openGate = (name: string) => {
      events.push(`open ${name}`);
      gate(name).open();
    };

    const handler: Handler = (req) => {
      calls.push(`${req.method} ${req.target}`);
      events.push(`call ${req.target}`);
      const { path, query } = splitTarget(req.target);
      const route = ROUTES[path];
      return route === undefined ? null : route(req, new URLSearchParams(query));
    };
    const ROUTES: Record<
      string,
      (req: HttpRequest, query: URLSearchParams) => HttpReply | Promise<HttpReply>
    > = {
      '/text': () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      '/utf8': () => ({ status: 200, body: 'héllo wörld ✓' }),
      '/bytes': () => ({ status: 200, body: Uint8Array.from({ length: 256 }, (_, i) => i) }),
      '/empty': () => ({ status: 200 }),
      '/chunks': () => ({
        status: 200,
        body: (async function* () {
          for (const part of ['one', 'two', 'three']) {
            await nextTurn();
            yield Buffer.from(part);
          }
        })(),
      }),
      '/status': (_req, q) => ({ status: Number(q.get('n')), headers: { etag: '"e"' }, body: 'dropped' }),
      '/close': () => ({ status: 200, headers: { connection: 'close' }, body: 'bye' }),
      '/echo': async (req) => {
        const parts: Buffer[] = [];
        for await (const chunk of req.body) parts.push(Buffer.from(chunk));
        const { method, target, version } = req;
        const body = Buffer.concat(parts).toString('latin1');
        return {
          status: 200,
          body: JSON.stringify({ method, target, version, host: req.headers.host, body }),
        };
      },
      '/record': async (req, q) => {
        const name = q.get('name') ?? '';
        const parts: number[] = [];
        reads.set(name, parts);
        try {
          for await (const chunk of req.body) parts.push(chunk.length);
        } catch (error) {
          bodyOutcomes.set(name, 'failed');
          throw error;
        }
        bodyOutcomes.set(name, 'whole');
        return { status: 200, body: String(parts.reduce((a, b) => a + b, 0)) };
      },
      '/gate': async (_req, q) => {
        await gate(q.get('name') ?? '').promise;
        return { status: 200, body: q.get('name') ?? '' };
      },
      '/count': async (req, q) => {
        await gate(q.get('gate') ?? '').promise;
        let bytes = 0;
        for await (const chunk of req.body) bytes += chunk.length;
        return { status: 200, body: String(bytes) };
      },
      '/endless': () => ({
        status: 200,
        body: (async function* () {
          const chunk = Buffer.alloc(ENDLESS.chunk, 0x61);
          try {
            while (endless.pulled < ENDLESS.total) {
              endless.pulled += chunk.length;
              yield chunk;
            }
          } finally {
            endless.stopped = true;
          }
        })(),
      }),
      '/big': () => ({ status: 200, body: new Uint8Array(BIG_BYTES) }),
      '/pattern': (_req, q) => ({ status: 200, body: pattern(Number(q.get('n'))) }),
      '/inject': (_req, q) => INJECTIONS[Number(q.get('i'))]!.reply,
    };
    async function start(options: ServeHttpOptions): Promise<number> {
      const server = new NetServer({
        transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
        model: { kind: 'event' },
        handler: serveHttp(handler, {
          engine,
          onError: (error) => failures.push(error),
          accessLog: (entry) => logged.push(entry),
          ...options,
        }),
      });
      servers.push(server);
      return (await server.listen()).port;
    }

    before(async () => {
      main = await start({ maxBodySize: MAX_BODY, limits: { maxHeaderSize: MAX_HEAD, ...ROOMY } });
      short = await start({ limits: SHORT });
      bulk = await start({ limits: ROOMY });
    });
    after(async () => {
      for (const c of connections) c.destroy();
      for (const server of servers) await server.close();
    });

    async function open(port = main): Promise<RawHttpConnection> {
      const c = await RawHttpConnection.open(port);
      connections.push(c);
      return c;
    }

    /** Asserts that a fresh connection to `port` is served: the server lives on after what came before. */
    async function assertServes(port = main): Promise<void> {
      const c = await open(port);
      c.send(get('/text', 'Connection: close\r\n'));
      const [r] = await c.responses(1);
      assert.deepEqual([r?.status, r?.body.toString()], [200, 'hello'], 'a new connection is served');
    }

    const called = (target: string) => calls.some((call) => call.endsWith(` ${target}`));
    const echo = (r: WireResponse | undefined) => JSON.parse(r?.body.toString('latin1') ?? '{}');

    /** A Date field that is an IMF-fixdate close to now (RFC 9110 §6.6.1, §5.6.7). */
    function assertDate(r: WireResponse | undefined): void {
      const date = r?.headers.date ?? '';
      assert.match(date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.ok(Math.abs(Date.parse(date) - Date.now()) < 5000, `Date ${date} is now`);
    }

    describe('framing and keep-alive (RFC 9112 §6, §9)', () => {
      it('HTTP/1.1 stays open by default: requests one after another on one connection, each with a Date', async () => {
        const c = await open();
        c.send(get('/text'));
        const [first] = await c.responses(1);
        assert.equal(first?.status, 200);
        assert.equal(first?.headers['content-length'], '5');
        assert.equal(first?.body.toString(), 'hello');
        assert.doesNotMatch(first?.headers.connection ?? '', /close/i);
        assertDate(first);
        c.send(get('/text'));
        const both = await c.responses(2);
        assert.equal(both[1]?.body.toString(), 'hello');
        assert.equal(c.closed, false);
      });

      it('a string gets its length in bytes, bytes theirs, no body a length of 0 (never chunked)', async () => {
        const c = await open();
        c.send(get('/utf8') + get('/bytes') + get('/empty'));
        const [utf8, bytes, empty] = await c.responses(3);
        assert.equal(utf8?.framing, 'length');
        assert.equal(utf8?.headers['content-length'], String(Buffer.byteLength('héllo wörld ✓')));
        assert.equal(utf8?.body.toString('utf8'), 'héllo wörld ✓');
        assert.equal(bytes?.headers['content-length'], '256');
        assert.deepEqual(
          [...(bytes?.body ?? [])],
          Array.from({ length: 256 }, (_, i) => i),
        );
        assert.deepEqual([empty?.framing, empty?.headers['content-length']], ['length', '0']);
        for (const r of [utf8, bytes, empty]) assert.equal(r?.headers['transfer-encoding'], undefined);
      });

      it('a body of chunks with no length goes out chunked on HTTP/1.1, and the connection goes on', async () => {
        const c = await open();
        c.send(get('/chunks') + get('/text'));
        const [chunks, next] = await c.responses(2);
        assert.equal(chunks?.framing, 'chunked');
        assert.equal(chunks?.headers['content-length'], undefined);
        assert.equal(chunks?.body.toString(), 'onetwothree');
        assert.equal(next?.body.toString(), 'hello');
      });

      it('a kept-alive connection carries many streamed answers without holding something of each', async () => {
        const warnings: string[] = [];
        const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
        process.on('warning', onWarning);
        try {
          const c = await open();
          c.send(get('/chunks').repeat(20));
          const answers = await c.responses(20);
          assert.ok(answers.every((r) => r.body.toString() === 'onetwothree'));
          await nextTurn(); // a warning is emitted on the next tick
          assert.deepEqual(
            warnings.filter((w) => w.startsWith('MaxListenersExceeded')),
            [],
          );
        } finally {
          process.off('warning', onWarning);
        }
      });

      it('HTTP/1.0 closes after its answer; a body of chunks is then delimited by the close', async () => {
        const text = await open();
        text.send('GET /text HTTP/1.0\r\n\r\n');
        const [t] = await text.responsesThenClose(1);
        assert.deepEqual([t?.status, t?.framing, t?.body.toString()], [200, 'length', 'hello']);
        const chunks = await open();
        chunks.send('GET /chunks HTTP/1.0\r\n\r\n');
        const [r] = await chunks.responsesThenClose(1);
        assert.equal(r?.headers['transfer-encoding'], undefined, 'HTTP/1.0 has no chunked coding');
        assert.deepEqual([r?.framing, r?.body.toString()], ['close', 'onetwothree']);
      });

      it('HTTP/1.0 with Connection: keep-alive stays open and says so, until a body has no length', async () => {
        const c = await open();
        c.send('GET /text HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
        const [first] = await c.responses(1);
        assert.match(first?.headers.connection ?? '', /keep-alive/i);
        c.send('GET /text HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
        await c.responses(2);
        assert.equal(c.closed, false);
        c.send('GET /chunks HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
        const [, , chunks] = await c.responsesThenClose(3);
        assert.deepEqual([chunks?.framing, chunks?.body.toString()], ['close', 'onetwothree']);
      });

      it('Connection: close from the client: that request is answered, what follows is ignored (§9.6)', async () => {
        const c = await open();
        c.send(`${get('/text?client-close', 'Connection: Close\r\n')}${get('/text?after-client-close')}`);
        const [r] = await c.responsesThenClose(1);
        assert.deepEqual([r?.status, r?.body.toString()], [200, 'hello']);
        assert.match(r?.headers.connection ?? '', /close/i);
        assert.equal(called('/text?after-client-close'), false, 'the request after close never ran');
        await assertServes();
      });

      it(
        'Connection: close from the client on a streamed answer: it comes whole, then the close',
        nodeDiffers(
          'node:http takes bytes after a Connection: close request for an error (llhttp HPE_CLOSED_CONNECTION), and its clientError path then cuts the answer being written (or answers 400 in place of one not yet started)',
        ),
        async () => {
          const c = await open();
          c.send(`${get('/chunks', 'Connection: close\r\n')}${get('/text?after-streamed-close')}`);
          const [r] = await c.responsesThenClose(1);
          assert.deepEqual([r?.status, r?.framing, r?.body.toString()], [200, 'chunked', 'onetwothree']);
          assert.equal(called('/text?after-streamed-close'), false);
        },
      );

      it(
        'Connection: close from the handler: answered in full, closed, and requests pipelined behind never run',
        nodeDiffers(
          'node:http runs the handlers of requests pipelined behind a response that carries Connection: close (their answers are dropped)',
        ),
        async () => {
          const c = await open();
          c.send(get('/close') + get('/text?after-server-close'));
          const [r] = await c.responsesThenClose(1);
          assert.deepEqual([r?.body.toString(), r?.headers.connection], ['bye', 'close']);
          assert.equal(called('/text?after-server-close'), false);
        },
      );

      it('a body by Content-Length, and one the handler leaves unread, do not run into the next request', async () => {
        const inner = get('/text?inside-a-body');
        const c = await open();
        c.send(
          `${get('/echo?cl', 'Content-Length: 5\r\n', 'POST')}hello` +
            `${get('/text?unread', `Content-Length: ${inner.length}\r\n`, 'POST')}${inner}${get('/text?next')}`,
        );
        const [e, unread, next] = await c.responses(3);
        assert.equal(echo(e).body, 'hello');
        assert.deepEqual([unread?.body.toString(), next?.body.toString()], ['hello', 'hello']);
        assert.equal(called('/text?inside-a-body'), false, 'a body is never parsed as a request');
      });

      it(
        'HTTP/1.0 with Transfer-Encoding: the connection closes after it, whatever it asked (§6.1)',
        nodeDiffers('node:http keeps such an HTTP/1.0 connection alive and serves what follows'),
        async () => {
          const c = await open();
          c.send(
            'POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
              get('/text?after-1.0-chunked'),
          );
          const [r] = await c.responsesThenClose(1);
          // Processed as chunked, or refused as faulty framing: both are allowed, and both close.
          if (r?.status === 200) assert.equal(echo(r).body, 'abc');
          else assert.equal(r?.status, 400);
          assert.equal(called('/text?after-1.0-chunked'), false);
        },
      );
    });

    describe('Content-Length bodies across reads (the llhttp engine reads them itself)', () => {
      const recorded = (name: string) => (reads.get(name) ?? []).reduce((a, b) => a + b, 0);
      /** Lets the server's event loop read what was sent (the server runs in this process, on loopback). */
      const serverReads = async () => {
        await nextTurn();
        await nextTurn();
      };

      it('requests of every framing pipelined behind a Content-Length body in one read are all answered', async () => {
        const c = await open();
        c.send(
          `${get('/echo?cl-first', 'Content-Length: 5\r\n', 'POST')}hello` +
            `${get('/echo?cl-second', 'Content-Length: 3\r\n', 'POST')}abc` +
            `${get('/echo?chunked-behind', CHUNKED, 'POST')}2\r\nxy\r\n0\r\n\r\n` +
            `${get('/echo?cl-third', 'Content-Length: 1\r\n', 'POST')}z${get('/text?after-bodies')}`,
        );
        const answers = await c.responses(5);
        assert.deepEqual(
          answers.slice(0, 4).map((r) => echo(r).body),
          ['hello', 'abc', 'xy', 'z'],
        );
        assert.equal(answers[4]?.body.toString(), 'hello');
        assert.equal(c.closed, false);
      });

      it('a body and the request behind it split across reads: each byte goes where it belongs', async () => {
        const c = await open();
        c.send(`${get('/record?name=split-reads', 'Content-Length: 10\r\n', 'POST')}01234`);
        await waitFor(() => recorded('split-reads') === 5, 'the first half of the body to reach the handler');
        c.send(`56789${get('/echo?behind-split').slice(0, 12)}`);
        await waitFor(() => bodyOutcomes.get('split-reads') === 'whole', 'the body to end at its length');
        c.send(get('/echo?behind-split').slice(12));
        const [body, behind] = await c.responses(2);
        assert.equal(body?.body.toString(), '10');
        assert.equal(echo(behind).target, '/echo?behind-split');
        assert.equal(echo(behind).body, '');
      });

      it('a small request with a body, and the one behind it, split in two at every byte', async () => {
        const c = await open();
        for (let at = 1; ; at++) {
          const bytes = `${get(`/echo?at=${at}`, 'Content-Length: 5\r\n', 'POST')}hello${get(`/text?at=${at}`)}`;
          if (at >= bytes.length) break;
          c.send(bytes.slice(0, at));
          await serverReads();
          c.send(bytes.slice(at));
          const answers = await c.responses(2 * at);
          const [posted, behind] = answers.slice(-2);
          assert.deepEqual(
            [echo(posted).target, echo(posted).body, behind?.body.toString()],
            [`/echo?at=${at}`, 'hello', 'hello'],
            `split at byte ${at}`,
          );
        }
      });

      it('a body of exactly the limit in many reads is taken; one past it over many reads gets 413 and the close', async () => {
        const c = await open();
        c.send(get('/record?name=at-limit', `Content-Length: ${MAX_BODY}\r\n`, 'POST'));
        for (let sent = 0; sent < MAX_BODY; sent += 256) {
          c.send('b'.repeat(256));
          await waitFor(() => recorded('at-limit') === sent + 256, `${sent + 256} body bytes to be read`);
        }
        const [r] = await c.responses(1);
        assert.equal(r?.body.toString(), String(MAX_BODY));
        const over = await open();
        over.send(get('/record?name=over-limit', `Content-Length: ${MAX_BODY + 1}\r\n`, 'POST'));
        for (let sent = 0; sent <= MAX_BODY && !over.closed; sent += 256) {
          over.send('b'.repeat(Math.min(256, MAX_BODY + 1 - sent)));
          await serverReads();
        }
        over.send(get('/text?behind-413'));
        const [refused] = await over.responsesThenClose(1);
        assert.equal(refused?.status, 413);
        assert.match(refused?.headers.connection ?? '', /close/i);
        assert.equal(called('/record?name=over-limit'), false);
        assert.equal(called('/text?behind-413'), false);
        await assertServes();
      });

      /** Opens a connection that sends 40 bytes of a 100-byte body to `/record?name=NAME`, once they are read. */
      async function partOfBody(name: string): Promise<RawHttpConnection> {
        const c = await open();
        c.send(`${get(`/record?name=${name}`, 'Content-Length: 100\r\n', 'POST')}${'x'.repeat(40)}`);
        await waitFor(() => recorded(name) === 40, 'the first 40 body bytes to reach the handler');
        return c;
      }
      const readFails = (name: string) =>
        waitFor(() => bodyOutcomes.get(name) === 'failed', "the handler's body read to fail");

      it("a client that resets the connection mid-body: the handler's read fails, the request is logged", async () => {
        (await partOfBody('cut-body')).socket.resetAndDestroy();
        await readFails('cut-body');
        await waitFor(
          () => logged.some((entry) => entry.target === '/record?name=cut-body'),
          'the access-log entry of the cut request',
        );
        await assertServes();
      });

      it('a client that ends its side mid-body: the read fails and the connection closes', async () => {
        const c = await partOfBody('ended-body');
        c.socket.end();
        await readFails('ended-body');
        await c.waitForClose();
        assert.ok(
          c.statuses().every((status) => status >= 400),
          `no success: ${c.statuses()}`,
        );
        await assertServes();
      });
    });

    describe('pipelining (RFC 9112 §9.3.2)', () => {
      it('answers come in request order even when a later handler finishes first', async () => {
        const c = await open();
        c.send(get('/gate?name=p1') + get('/text?p2'));
        await waitFor(() => called('/text?p2'), 'the second handler to run while the first waits');
        assert.equal(c.parse().responses.length, 0, 'nothing is sent ahead of the first answer');
        openGate('p1');
        const [first, second] = await c.responses(2);
        assert.deepEqual([first?.body.toString(), second?.body.toString()], ['p1', 'hello']);
      });

      it('fifty pipelined requests in one write are all answered, in order', async () => {
        const c = await open();
        c.send(Array.from({ length: 50 }, (_, i) => get(`/echo?i=${i}`)).join(''));
        const answers = await c.responses(50);
        assert.deepEqual(
          answers.map((r) => echo(r).target),
          Array.from({ length: 50 }, (_, i) => `/echo?i=${i}`),
        );
      });

      it(
        'unsafe methods pipelined run one after another',
        nodeDiffers('node:http hands every pipelined request to its handler as soon as it is parsed'),
        async () => {
          const c = await open();
          c.send(get('/gate?name=u1', 'Content-Length: 0\r\n', 'POST') + get('/echo?u2', '', 'DELETE'));
          await waitFor(() => called('/gate?name=u1'), 'the first POST to reach its handler');
          openGate('u1');
          await c.responses(2);
          const opened = events.indexOf('open u1');
          const order = events.filter((event) => /u1|u2/.test(event));
          assert.ok(opened < events.indexOf('call /echo?u2'), `the second ran after the first: ${order}`);
        },
      );
    });

    describe('bodies in and out (RFC 9112 §7)', () => {
      it('a chunked request body reaches the handler de-chunked, extensions and trailers dropped', async () => {
        const c = await open();
        const body =
          '5;name=value\r\nhello\r\n1;x="a quoted ext"\r\n \r\nA\r\n0123456789\r\n0;end\r\nX-Trailer: t\r\n\r\n';
        c.send(`${get('/echo?chunked', CHUNKED, 'POST')}${body}${get('/text')}`);
        const [r, next] = await c.responses(2);
        assert.equal(echo(r).body, 'hello 0123456789');
        assert.equal(next?.body.toString(), 'hello');
      });

      it('HEAD is answered with the head of GET and no body, and the next answer follows at once', async () => {
        const c = await open();
        c.send(get('/text', '', 'HEAD') + get('/chunks', '', 'HEAD') + get('/text'));
        const [text, chunks, next] = await c.responses(3, ['HEAD', 'HEAD', 'GET']);
        assert.deepEqual([text?.status, text?.headers['content-length'], text?.body.length], [200, '5', 0]);
        assert.deepEqual([chunks?.status, chunks?.body.length], [200, 0]);
        assert.equal(next?.body.toString(), 'hello');
      });

      it('204 and 304 go without a body or chunked coding, whatever the handler gave', async () => {
        const c = await open();
        c.send(get('/status?n=204') + get('/status?n=304') + get('/text'));
        const [noContent, notModified, next] = await c.responses(3);
        assert.equal(noContent?.status, 204);
        assert.equal(noContent?.headers['content-length'], undefined, 'RFC 9110 §8.6: no length on a 204');
        assert.equal(notModified?.status, 304);
        assert.equal(notModified?.headers.etag, '"e"');
        for (const r of [noContent, notModified]) assert.equal(r?.headers['transfer-encoding'], undefined);
        assert.equal(next?.body.toString(), 'hello', 'no body bytes came between');
      });
    });

    describe('Expect and 1xx (RFC 9110 §10.1.1)', () => {
      it('Expect: 100-continue gets 100 Continue before the body is sent, then the answer', async () => {
        const c = await open();
        c.send(get('/echo?continue', 'Content-Length: 5\r\nExpect: 100-continue\r\n', 'POST'));
        await waitFor(() => c.parse().responses.length > 0, '100 Continue');
        const [interim] = c.parse().responses;
        assert.deepEqual([interim?.status, interim?.body.length], [100, 0]);
        c.send('hello');
        const [, r] = await c.responses(1);
        assert.deepEqual([r?.status, echo(r).body], [200, 'hello']);
      });

      it('a declared body over the limit with Expect: 100-continue gets 413, never 100 Continue, and is logged', async () => {
        const c = await open();
        c.send(
          get('/echo?expect-big', `Content-Length: ${MAX_BODY + 1}\r\nExpect: 100-continue\r\n`, 'POST'),
        );
        const [r] = await c.responsesThenClose(1);
        assert.deepEqual(c.statuses(), [413]);
        assert.equal(called('/echo?expect-big'), false);
        await waitFor(
          () => logged.some((entry) => entry.target === '/echo?expect-big'),
          'the access-log entry of the 413',
        );
        const entry = logged.find((e) => e.target === '/echo?expect-big');
        assert.deepEqual([entry?.status, entry?.bytes], [413, r?.body.length]);
        await assertServes();
      });

      it('an Expect other than 100-continue gets 417, and the handler never runs', async () => {
        const c = await open();
        c.send(`${get('/echo?expect-other', 'Content-Length: 3\r\nExpect: something-else\r\n', 'POST')}abc`);
        const [r] = await c.responses(1);
        assert.equal(r?.status, 417);
        assert.equal(called('/echo?expect-other'), false);
        await assertServes();
      });

      it('HTTP/1.0 ignores Expect: 100-continue', async () => {
        const c = await open();
        c.send('POST /echo?expect-1.0 HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc');
        const answers = await c.responsesThenClose(1);
        assert.deepEqual(c.statuses(), [200]);
        assert.equal(echo(answers[0]).body, 'abc');
      });
    });

    describe('the body limit (ServeHttpOptions.maxBodySize)', () => {
      it('a body of exactly the limit is taken', async () => {
        const c = await open();
        c.send(`${get('/echo', `Content-Length: ${MAX_BODY}\r\n`, 'POST')}${'b'.repeat(MAX_BODY)}`);
        const [r] = await c.responses(1);
        assert.equal(echo(r).body.length, MAX_BODY);
      });

      it('a declared body over the limit gets 413 and the close; the handler never runs', async () => {
        const c = await open();
        c.send(
          `${get('/echo?declared-big', `Content-Length: ${MAX_BODY + 1}\r\n`, 'POST')}${'b'.repeat(MAX_BODY + 1)}`,
        );
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 413);
        assert.match(r?.headers.connection ?? '', /close/i);
        assert.equal(called('/echo?declared-big'), false);
        await assertServes();
      });

      it('a chunked body that grows over the limit gets 413 and the close', async () => {
        const c = await open();
        const chunk = `200\r\n${'c'.repeat(0x200)}\r\n`;
        c.send(`${get('/echo?chunked-big', CHUNKED, 'POST')}${chunk.repeat(3)}0\r\n\r\n`);
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 413);
        await assertServes();
      });
    });

    describe('Host and the request target (RFC 9112 §3.2)', () => {
      it('HTTP/1.1 without Host gets 400 and the close', async () => {
        const c = await open();
        c.send('GET /text HTTP/1.1\r\n\r\n');
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 400);
        await assertServes();
      });

      it('HTTP/1.0 without Host is served', async () => {
        const c = await open();
        c.send('GET /text HTTP/1.0\r\n\r\n');
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 200);
      });

      it(
        "an absolute-form target's authority is the Host the handler sees, whatever Host said (§3.2.2)",
        nodeDiffers('node:http passes the Host field as sent; the authority is only in the target'),
        async () => {
          const c = await open();
          c.send('GET http://example.com:8080/echo?abs HTTP/1.1\r\nHost: other.example\r\n\r\n');
          const [r] = await c.responses(1);
          assert.deepEqual(
            [echo(r).host, echo(r).target],
            ['example.com:8080', 'http://example.com:8080/echo?abs'],
          );
        },
      );

      it(
        'an asterisk-form target is 400 for any method but OPTIONS, which reaches the handler',
        nodeDiffers('node:http (llhttp) takes `*` for any method and hands it to the handler'),
        async () => {
          const c = await open();
          c.send('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n');
          const [options] = await c.responses(1);
          assert.equal(options?.status, 404, 'the handler answered (null: 404)');
          assert.ok(calls.includes('OPTIONS *'));
          const bad = await open();
          bad.send('GET * HTTP/1.1\r\nHost: x\r\n\r\n');
          const [r] = await bad.responses(1);
          assert.equal(r?.status, 400);
          assert.equal(calls.includes('GET *'), false);
        },
      );
    });

    describe('methods and upgrades', () => {
      it('CONNECT gets 501 and the close; what follows it is never taken for a tunnel nor a request', async () => {
        const c = await open();
        c.send(
          `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n${get('/text?after-connect')}`,
        );
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 501);
        assert.equal(called('/text?after-connect'), false);
        await assertServes();
      });

      it('Upgrade is refused cleanly: answered as a plain request, never 101, and the connection stays HTTP/1.1', async () => {
        const c = await open();
        c.send(
          get('/echo?upgrade', 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n'),
        );
        const [r] = await c.responses(1);
        assert.equal(r?.status, 200);
        assert.equal(r?.headers.upgrade, undefined);
        c.send(get('/text'));
        const [, next] = await c.responses(2);
        assert.equal(next?.body.toString(), 'hello');
      });

      it(
        'a request pipelined behind an Upgrade request is answered too (h2c)',
        nodeSkips(
          "node:http drops the bytes that follow an Upgrade head in the same read when no 'upgrade' listener takes the socket",
        ),
        async () => {
          const c = await open();
          const upgrade =
            'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n';
          c.send(get('/text?h2c', upgrade) + get('/text?behind-upgrade'));
          await c.responses(2);
          assert.deepEqual(c.statuses(), [200, 200]);
        },
      );
    });

    describe('refusals: request smuggling and malformed requests (the request behind is never run)', () => {
      REFUSALS.forEach((refusal, i) => {
        it(`${refusal.name} → ${refusal.status}`, nodeDiffers(refusal.node), async () => {
          const target = `/echo?refused=${i}`;
          const behind = `/text?behind-refused=${i}`;
          const c = await open();
          c.send(refusal.bytes.replace('TARGET', target) + get(behind));
          const [r] = await c.responsesThenClose(1);
          assert.equal(r?.status, refusal.status, `${refusal.name}: ${c.text.slice(0, 300)}`);
          assert.match(r?.headers.connection ?? '', /close/i);
          // Tandem's one error renderer answers it (a line of text/plain for a client that asked for no HTML),
          // dated (RFC 9110 §6.6.1).
          assert.match(
            r?.headers['content-type'] ?? '',
            /^text\/plain; charset=utf-8$/,
            c.text.slice(0, 300),
          );
          assert.match(r?.body.toString() ?? '', /^[^\n]+\n$/);
          assert.ok(r?.headers.date !== undefined, 'a Date field');
          if (!refusal.badBody) assert.equal(called(target), false, 'the refused request never ran');
          assert.equal(called(behind), false, 'the request behind never ran');
          await assertServes();
        });
      });

      it('what is allowed is not refused: obs-text in a value, OWS around it, chunked in capitals', async () => {
        const c = await open();
        c.send(
          `${get('/echo?obs-text', 'X-A: caf\xe9\r\nX-B:\t padded \t\r\n')}` +
            `${get('/echo?capitals', 'Transfer-Encoding: CHUNKED\r\n', 'POST')}3\r\nabc\r\n0\r\n\r\n`,
        );
        const [text, capitals] = await c.responses(2);
        assert.equal(text?.status, 200);
        assert.equal(echo(capitals).body, 'abc');
      });
    });

    describe('timeouts and slow clients (short limits)', () => {
      it(`a head not finished within headersTimeout (${SHORT.headersTimeout} ms) gets 408 and the close`, async () => {
        const c = await open(short);
        c.send('GET /text HTTP/1.1\r\nHost: x\r\n');
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 408);
        assert.ok(c.closedAt! - c.openedAt >= SHORT.headersTimeout * 0.75, 'not before the timeout');
        await assertServes(short);
      });

      it('a connection that sends nothing gets 408 and the close after headersTimeout', async () => {
        const c = await open(short);
        const [r] = await c.responsesThenClose(1);
        assert.equal(r?.status, 408);
        assert.ok(c.closedAt! - c.openedAt >= SHORT.headersTimeout * 0.75, 'not before the timeout');
      });

      it('an idle kept-alive connection is closed after keepAliveTimeout, with nothing more sent', async () => {
        const c = await open(short);
        c.send(get('/text'));
        await c.responses(1);
        const answered = performance.now();
        await c.responsesThenClose(1);
        assert.ok(c.closedAt! - answered >= SHORT.keepAliveTimeout * 0.5, 'not before the timeout');
      });

      it('slowloris: a head trickled a byte at a time is cut at headersTimeout, however steady', async () => {
        const c = await open(short);
        c.send('GET /text HTTP/1.1\r\nHost: x\r\nX-Slow: ');
        await c.trickleUntilClosed('a', 20, SHORT.headersTimeout * 10);
        assert.deepEqual(c.statuses(), [408]);
        assert.ok(c.closedAt! - c.openedAt >= SHORT.headersTimeout * 0.75, 'not before the timeout');
        await assertServes(short);
      });

      it('slowloris on a kept-alive connection: the second head trickled is cut too', async () => {
        const c = await open(short);
        c.send(get('/text'));
        await c.responses(1);
        c.send('GET /text HTTP/1.1\r\nHost: x\r\nX-Slow: ');
        await c.trickleUntilClosed('a', 20, SHORT.headersTimeout * 10);
        assert.deepEqual(c.statuses(), [200, 408]);
      });

      it(`a body trickled slower than requestTimeout (${SHORT.requestTimeout} ms) allows gets 408`, async () => {
        const c = await open(short);
        c.send(get('/echo?slow-body', 'Content-Length: 1000\r\n', 'POST'));
        await c.trickleUntilClosed('b', 20, SHORT.requestTimeout * 10);
        assert.deepEqual(c.statuses(), [408]);
        assert.ok(c.closedAt! - c.openedAt >= SHORT.requestTimeout * 0.75, 'not before the timeout');
        await assertServes(short);
      });

      it('a client that stops reading a body of chunks: the engine stops pulling, and sendTimeout cuts it', async () => {
        const c = await open(short);
        c.socket.pause();
        c.send(get('/endless'));
        await waitFor(() => endless.stopped, 'the engine to let go of the endless body');
        assert.ok(
          endless.pulled < ENDLESS.bound,
          `pulled ${endless.pulled} bytes for a client that reads none`,
        );
        await assertServes(short);
      });

      it('a client that stops reading a large body in memory is cut by sendTimeout, and gets only part of it', async () => {
        const c = await open(short);
        c.socket.pause();
        c.send(get('/big'));
        await waitFor(
          () => logged.some((entry) => entry.target === '/big'),
          'the send timeout to cut the client',
        );
        c.socket.resume();
        await c.waitForClose();
        assert.ok(c.received.length < BIG_BYTES, `${c.received.length} bytes came of ${BIG_BYTES}`);
        await assertServes(short);
      });
    });

    describe('backpressure', () => {
      it('answers waiting for a client that does not read stay whole: later answers never overwrite them', async () => {
        const c = await open(bulk);
        c.socket.pause();
        const paths = Array.from({ length: PATTERNS.count }, (_, n) => get(`/pattern?n=${n}`));
        c.send(paths.join(''));
        await waitFor(() => called('/pattern?n=40'), 'answers to pile up behind the unread ones');
        c.socket.resume();
        const answers = await c.responses(PATTERNS.count);
        answers.forEach((r, n) => {
          assert.equal(r.status, 200);
          assert.ok(r.body.equals(pattern(n)), `the answer to /pattern?n=${n} came whole and unchanged`);
        });
      });

      it('a handler that does not read the body: the engine stops reading the socket, then resumes', async () => {
        const c = await open(bulk);
        c.send(get('/count?gate=upload', `Content-Length: ${UPLOAD.total}\r\n`, 'POST'));
        const chunk = Buffer.alloc(UPLOAD.chunk, 0x62);
        let written = 0;
        const pump = () => {
          while (written < UPLOAD.total) {
            written += chunk.length;
            if (!c.socket.write(chunk)) return void c.socket.once('drain', pump);
          }
        };
        pump();
        await waitFor(() => called('/count?gate=upload'), 'the handler to run');
        // Bytes the kernel took from the client: what crossed, or sits in the two socket buffers.
        const taken = () => c.socket.bytesWritten - c.socket.writableLength;
        let last = -1;
        let since = performance.now();
        await waitFor(() => {
          if (taken() !== last) [last, since] = [taken(), performance.now()];
          return performance.now() - since > 300;
        }, 'the upload to stall');
        assert.ok(taken() < UPLOAD.bound, `${taken()} bytes of ${UPLOAD.total} were taken unread`);
        openGate('upload');
        const [r] = await c.responses(1);
        assert.equal(r?.body.toString(), String(UPLOAD.total), 'the whole body came once read');
      });
    });

    describe('responses are validated (no header injection, no split response)', () => {
      INJECTIONS.forEach(({ kind, nodeSkip }, i) => {
        it(
          `${kind}: the client gets a 500, never the header`,
          nodeSkip ? nodeSkips(nodeSkip) : {},
          async () => {
            const c = await open();
            c.send(get(`/inject?i=${i}`));
            const [r] = await c.responses(1);
            assert.equal(r?.status, 500);
            assert.doesNotMatch(c.text, /x-injected/i);
            await assertServes();
          },
        );
      });
    });
  });
}
