// Test support for the static layer, a `.case.ts` file so the build leaves it out.

import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Handler, HttpRequest, ReplyBody } from '../http/handler.js';
import { isFileRange } from '../http/run-handler.js';

/** A temporary tree for static tests: `root` is served; `outside.txt` and `root-evil/` sit beside it. */
export interface StaticFixture {
  base: string;
  root: string;
  cleanup: () => Promise<void>;
}

/** 1000 bytes whose content at each offset is predictable, for range tests. */
export const BIG = Buffer.from(Array.from({ length: 1000 }, (_, i) => 'abcdefghij'[i % 10]).join(''));

/** Builds the fixture tree with real files, directories and symlinks. */
export async function makeFixture(): Promise<StaticFixture> {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'tandem-static-')));
  const root = join(base, 'root');
  const files: Record<string, string | Buffer> = {
    'outside.txt': 'OUTSIDE SECRET',
    'root-evil/secret.txt': 'SIBLING SECRET',
    'root/hello.txt': 'hello world',
    'root/app.js': 'console.log(1);',
    'root/data.json': '{}',
    'root/pic.svg': '<svg/>',
    'root/feed.xml': '<a/>',
    'root/photo.png': 'png',
    'root/blob.zzunknown': 'x',
    'root/noext': 'x',
    'root/empty.txt': '',
    'root/big.bin': BIG,
    'root/.env': 'DOTFILE SECRET',
    'root/.git/config': 'GIT SECRET',
    'root/%2e%2e/odd.txt': 'odd name',
    'root/with space.txt': 'space',
    'root/sub/index.html': '<h1>sub</h1>',
    'root/list/a.txt': 'a',
    'root/list/.hidden': 'h',
    'root/list/<b>&"x".txt': 'b',
    'root/list/inner/c.txt': 'c',
    'root/evil.com/x.txt': 'x',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(base, name, '..'), { recursive: true });
    await writeFile(join(base, name), content);
  }
  await symlink('../outside.txt', join(root, 'link-out.txt'));
  await symlink('../root-evil', join(root, 'linkdir-out'));
  await symlink('hello.txt', join(root, 'link-in.txt'));
  await symlink('.env', join(root, 'link-dot.txt'));
  return { base, root, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** A reply of the static handler as its tests read it: header values are single strings. */
export interface StaticTestReply {
  status: number;
  headers: Record<string, string | undefined>;
  body: ReplyBody;
}

/** A GET (or `method`) of `target` with `headers`, as a runner would hand it to a Handler. */
export function staticRequest(
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): HttpRequest {
  return {
    method,
    target,
    version: '1.1',
    scheme: 'http',
    headers,
    client: { address: '127.0.0.1', port: 1 },
    body: (async function* () {})(),
    signal: new AbortController().signal,
  };
}

/** What `handler` answers to `staticRequest(target, headers, method)`: the reply itself, or null. */
export async function ask(
  handler: Handler,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<StaticTestReply | null> {
  return (await handler(staticRequest(target, headers, method))) as StaticTestReply | null;
}

/** The bytes a reply would send: in memory, a FileRange read from disk, or its chunks. */
export async function bodyBytes(reply: Pick<StaticTestReply, 'body'>): Promise<Buffer> {
  const body = reply.body;
  if (body === null || body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  const source = isFileRange(body) ? createReadStream(body.path, { start: body.start, end: body.end }) : body;
  for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The text a reply would send (see bodyBytes). */
export async function readBody(reply: Pick<StaticTestReply, 'body'>): Promise<string> {
  return (await bodyBytes(reply)).toString();
}
