import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../log/logger.js';
import type { HeaderMap, Reply, ServerStream } from '../protocol/types.js';
import { type App, loadApp } from './index.js';

let nextId = 1;

/** Options of a test stream: headers, body chunks and an abort signal. */
export interface StreamOptions {
  headers?: HeaderMap;
  body?: readonly (string | Uint8Array)[];
  signal?: AbortSignal;
}

/** A ServerStream as the protocol server would hand it to a handler; the body yields the given chunks. */
export function makeStream(method: string, info: string, options: StreamOptions = {}): ServerStream {
  const chunks = (options.body ?? []).map((c) => (typeof c === 'string' ? new TextEncoder().encode(c) : c));
  return {
    id: nextId++,
    head: {
      method,
      info,
      version: '1.1',
      scheme: 'http',
      client: { address: '127.0.0.1', port: 1 },
      headers: { host: '127.0.0.1:8808', ...options.headers },
    },
    body: (async function* () {
      for (const chunk of chunks) {
        await new Promise((r) => setImmediate(r));
        yield chunk;
      }
    })(),
    signal: options.signal ?? new AbortController().signal,
  };
}

/** A reply with its body read whole. */
export interface ReadReply {
  status: number;
  headers: HeaderMap;
  bytes: Buffer;
  text: string;
}

/** Reads a Reply's body whole, as the protocol server would write it. */
export async function readReply(replyOrPromise: Reply | Promise<Reply>): Promise<ReadReply> {
  const reply = await replyOrPromise;
  let bytes: Buffer;
  const body = reply.body;
  if (body === null || body === undefined) bytes = Buffer.alloc(0);
  else if (typeof body === 'string') bytes = Buffer.from(body);
  else if (body instanceof Uint8Array) bytes = Buffer.from(body);
  else {
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(Buffer.from(chunk));
    bytes = Buffer.concat(parts);
  }
  return { status: reply.status, headers: reply.headers ?? {}, bytes, text: bytes.toString('utf8') };
}

/** A logger whose JSON lines are kept in `lines`, for asserting what was logged. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Writes `files` (relative path -> content) into a new temporary folder and returns its path. */
export async function writeApp(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'webframe-app-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** Loads an app written from `files` into a temporary folder, logging into `lines`. */
export async function appWith(
  files: Record<string, string>,
  overrides: { debug?: boolean } = {},
): Promise<{ app: App; lines: Record<string, unknown>[] }> {
  const dir = await writeApp(files);
  const { logger, lines } = captureLogger();
  return { app: await loadApp(dir, { ...overrides, logger }), lines };
}
