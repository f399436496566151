import { type FileHandle, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Bytes read from the file and written out at a time, unless the caller asks for another size. */
export const PUMP_CHUNK = 256 * 1024;
/** Bytes of idle chunks kept for reuse per chunk size; beyond that they are left to the GC. */
const POOL_BYTES = 4 * 1024 * 1024;
const pools = new Map<number, Buffer[]>();

/** A write that takes longer than this to complete means a slow receiver (see PumpOptions.slowChunkSize). */
const SLOW_WRITE_MS = 50;

/** Options of pumpFile and pumpFileHandle. */
export interface PumpOptions {
  /** Told the bytes of each chunk as it is written. */
  counted?: (bytes: number) => void;
  /** Bytes per read and write; default PUMP_CHUNK. */
  chunkSize?: number;
  /**
   * Bytes of the first read and write, and of each one after a write that took over 50 ms to complete (a
   * slow receiver); each write that completes sooner doubles the next, up to `chunkSize`. So a slow client
   * holds this much rather than a whole chunk, and a fast one reaches `chunkSize` after a few writes.
   * Default: always `chunkSize`.
   */
  slowChunkSize?: number;
}

/**
 * Sends bytes [start, end] (both inclusive) of the file at `path` to `out`, then ends `out`; see
 * pumpFileHandle. Rejects when the file cannot be opened or read, or when `out` closes first.
 */
export async function pumpFile(
  path: string,
  start: number,
  end: number,
  out: Writable,
  options: PumpOptions = {},
): Promise<void> {
  const file = await open(path, 'r');
  try {
    await pumpFileHandle(file, start, end, out, options);
  } finally {
    await file.close();
  }
}

/**
 * Sends bytes [start, end] (both inclusive) of an open file to `out`, then ends `out` (the handle stays open).
 * One chunk is in flight at a time: the next read starts once the previous write is done, so a slow reader
 * slows the reads (backpressure) and a transfer holds at most one chunk. Chunks come from a small pool and go
 * back to it when their write completes: a fresh buffer per chunk (as fs.createReadStream makes) costs page
 * faults and garbage collection that, for large files, cost more than the copies themselves. Rejects when the
 * file ends early or cannot be read, or when `out` closes first; the caller then cuts the transfer.
 */
export async function pumpFileHandle(
  file: FileHandle,
  start: number,
  end: number,
  out: Writable,
  options: PumpOptions = {},
): Promise<void> {
  const full = options.chunkSize ?? PUMP_CHUNK;
  const slow = options.slowChunkSize ?? full;
  let size = slow;
  let position = start;
  while (position <= end) {
    if (out.destroyed) throw new Error('the receiver went away');
    const pool = poolOf(size);
    const chunk = pool.pop() ?? Buffer.allocUnsafeSlow(size);
    const { bytesRead } = await file.read(chunk, 0, Math.min(size, end - position + 1), position);
    if (bytesRead === 0) {
      release(pool, chunk);
      throw new Error(`the file ended at byte ${position}, before ${end + 1}`);
    }
    position += bytesRead;
    options.counted?.(bytesRead);
    const started = performance.now();
    await writeChunk(out, chunk, bytesRead);
    release(pool, chunk);
    size = performance.now() - started > SLOW_WRITE_MS ? slow : Math.min(full, size * 2);
  }
  out.end();
}

/** The idle chunks of one size. */
function poolOf(size: number): Buffer[] {
  let pool = pools.get(size);
  if (pool === undefined) {
    pool = [];
    pools.set(size, pool);
  }
  return pool;
}

/**
 * Writes the first `length` bytes of `chunk` and resolves when the write is done (the chunk may then be
 * reused). Rejects when the write fails or `out` closes before: the chunk is not reused then, as the
 * transport may still hold it.
 */
function writeChunk(out: Writable, chunk: Buffer, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('the receiver went away'));
    out.once('close', onClose);
    out.write(length === chunk.length ? chunk : chunk.subarray(0, length), (err) => {
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

function release(pool: Buffer[], chunk: Buffer): void {
  if ((pool.length + 1) * chunk.length <= POOL_BYTES) pool.push(chunk);
}
