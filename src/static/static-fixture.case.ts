// Test support for the static layer, a `.case.ts` file so the build leaves it out.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openStaticBody, type StaticReply } from './static-handler.js';

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

/** The bytes a reply would send, reading file bodies through openStaticBody. */
export async function readBody(reply: StaticReply): Promise<string> {
  const body = openStaticBody(reply);
  if (body === null) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString();
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
