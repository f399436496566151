import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import type { Socket } from 'node:net';

/** The copier: POSIX dd with 1 MiB blocks (`bs=1M` is GNU-only; the byte count is portable). */
const COPIER = 'dd';
const COPIER_ARGS = ['bs=1048576'];

/** How a copy ended when it did not complete. */
export type CopyFailure = 'stalled' | 'aborted' | 'failed';

let available: boolean | undefined;

/** True when dd can be started here (probed once per process: `dd count=0` reads and writes nothing). */
export function canCopySocketToFile(): boolean {
  available ??= spawnSync(COPIER, ['count=0'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return available;
}

/** A running copy: `done` resolves with the bytes written, or rejects with a CopyError; `abort()` stops it. */
export interface SocketCopy {
  readonly done: Promise<number>;
  abort(): void;
}

/** dd's messages (strerror under LC_ALL=C) for the errors a copy can meet, and their errno codes. */
const DD_ERRORS: readonly [RegExp, string][] = [
  [/No space left on device/, 'ENOSPC'],
  [/Disk quota exceeded/, 'EDQUOT'],
  [/File too large/, 'EFBIG'],
  [/Input\/output error/, 'EIO'],
  [/Read-only file system/, 'EROFS'],
  [/Connection reset by peer/, 'ECONNRESET'],
  [/Broken pipe/, 'EPIPE'],
];

/** Why a copy did not complete; `code` is the errno code dd reported, when it names one. */
export class CopyError extends Error {
  readonly kind: CopyFailure;
  readonly code: string | undefined;
  constructor(kind: CopyFailure, message: string) {
    super(message);
    this.kind = kind;
    this.code = DD_ERRORS.find(([pattern]) => pattern.test(message))?.[1];
  }
}

/**
 * Copies everything a socket receives until the peer closes into a file opened with O_APPEND, by handing both
 * descriptors to a child `dd`: the kernel moves the bytes between them and this process touches none of them.
 * Node gives every socket read a fresh 64 KiB buffer that V8 must collect (on an upload, a mark-compact every
 * 20–30 ms and tens of MiB of garbage); dd reuses one. The socket must not have been read by this process
 * (accepted with pauseOnConnect), or bytes it buffered would be missing. Progress is watched through the file's
 * size: no growth for `stallMs` stops the copy as `stalled`. Resolves with the bytes added to the file. Call
 * canCopySocketToFile() first.
 */
export function copySocketToFile(socket: Socket, file: FileHandle, stallMs: number): SocketCopy {
  let child: ChildProcess | undefined;
  let stopped: CopyFailure | undefined;
  const done = (async () => {
    const start = (await file.stat()).size;
    if (stopped !== undefined) throw new CopyError(stopped, `copy ${stopped}`);
    // LC_ALL=C: dd's error messages in English, which CopyError reads its errno code from.
    child = spawn(COPIER, COPIER_ARGS, {
      stdio: [socket, file.fd, 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const proc = child;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    let last = start;
    let lastChange = Date.now();
    const watch = setInterval(
      () => {
        file.stat().then(
          (stats) => {
            if (stats.size !== last) {
              last = stats.size;
              lastChange = Date.now();
            } else if (Date.now() - lastChange >= stallMs && stopped === undefined) {
              stopped = 'stalled';
              proc.kill('SIGKILL');
            }
          },
          () => {},
        );
      },
      Math.max(50, Math.min(1000, stallMs / 4)),
    );
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        proc.once('error', reject);
        proc.once('exit', (exitCode) => resolve(exitCode));
      });
      if (stopped !== undefined) throw new CopyError(stopped, `copy ${stopped}`);
      if (code !== 0) {
        const reason = stderr.split('\n').find((line) => line.startsWith('dd:')) ?? `dd exited ${code}`;
        throw new CopyError('failed', reason);
      }
    } catch (err) {
      if (err instanceof CopyError) throw err;
      throw new CopyError('failed', `dd could not run: ${(err as Error).message}`);
    } finally {
      clearInterval(watch);
    }
    return (await file.stat()).size - start;
  })();
  return {
    done,
    abort() {
      if (stopped === undefined) stopped = 'aborted';
      child?.kill('SIGKILL');
    },
  };
}
