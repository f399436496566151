import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Ftpd, startFtpd } from './ftpd.js';
import { waitFor } from './wait-for.js';

/** A served file whose name needs UTF-8. */
export const UTF8_NAME = 'données-日本.txt';
/** A served file whose name holds a space. */
export const SPACE_NAME = 'with space.txt';
/** The user with write access. */
export const USER = 'bob';
/** USER's password. */
export const PASSWORD = 'secret';
/** Bytes of a partial copy, written with a different filler so that a restart from 0 shows. */
export const PARTIAL = 1_000_000;

/** Waits until `path` holds at least one byte (a transfer is under way); throws after `ms`. */
export async function untilGrowing(path: string, ms = 10_000): Promise<void> {
  await waitFor(() => existsSync(path) && statSync(path).size > 0, `${path} to grow`, ms);
}

/** `filler` repeated PARTIAL times, then `full` from byte PARTIAL: what a real resume produces. */
export function resumed(full: Buffer, filler: number): Buffer {
  return Buffer.concat([Buffer.alloc(PARTIAL, filler), full.subarray(PARTIAL)]);
}

/** The server the interop tests talk to; all but `big` and `local` are set by the `before` hook. */
export interface InteropServer {
  /** 3 MiB of random bytes, served as big.bin. */
  big: Buffer;
  ftpd: Ftpd;
  /** A local temp directory for the clients' files. */
  work: string;
  port: number;
  /** `ftp://127.0.0.1:port`. */
  url: string;
  /** A fresh local directory for one test. */
  local(name: string): Promise<string>;
}

/**
 * Registers, in the calling describe, the hooks that start tandem ftpd with big.bin, the UTF-8 and space
 * names, docs/readme.txt, empty lftp/, curl/ and py/ directories and a sparse 50 MiB huge.bin; stops it after all.
 */
export function interopServer(): InteropServer {
  const server: InteropServer = {
    big: randomBytes(3 << 20),
    ftpd: undefined as unknown as Ftpd,
    work: '',
    port: 0,
    url: '',
    local: async (name) => {
      const dir = join(server.work, name);
      await mkdir(dir);
      return dir;
    },
  };

  before(async () => {
    const ftpd = await startFtpd({
      files: {
        'big.bin': server.big,
        [UTF8_NAME]: 'UTF-8 name\n',
        [SPACE_NAME]: 'space name\n',
        'docs/readme.txt': 'read me\n',
      },
      users: [{ name: USER, password: PASSWORD, write: true }],
    });
    server.ftpd = ftpd;
    server.port = ftpd.port;
    server.url = `ftp://127.0.0.1:${ftpd.port}`;
    for (const dir of ['lftp', 'curl', 'py']) await mkdir(join(ftpd.root, dir));
    // 50 MiB of zeros, sparse: a transfer long enough to be cut in the middle.
    await writeFile(join(ftpd.root, 'huge.bin'), '');
    await truncate(join(ftpd.root, 'huge.bin'), 50 << 20);
    server.work = await mkdtemp(join(tmpdir(), 'tandem-ftp-interop-'));
  });
  after(async () => {
    await server.ftpd?.stop();
    if (server.work !== '') await rm(server.work, { recursive: true, force: true });
  });
  return server;
}
