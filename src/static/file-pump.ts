import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Bytes read from the file and written to the client at a time. */
export const PUMP_CHUNK = 256 * 1024;
/** Chunks kept for reuse once their write is done (4 MiB); beyond that they are left to the GC. */
const POOL_MAX = 16;
const pool: Buffer[] = [];

/**
 * Sends bytes [start, end] (both inclusive) of the file at `path` to `out`, then ends `out`. One chunk is in
 * flight at a time: the next read starts once the previous write is done, so a slow client slows the reads
 * (backpressure) and a response holds at most PUMP_CHUNK bytes. Chunks come from a small pool and go back to
 * it when their write completes: a fresh buffer per chunk (as fs.createReadStream makes) costs page faults
 * and garbage collection that, for large files, cost more than the copies themselves. `counted` is told the
 * bytes of each chunk as it is written. Rejects when the file cannot be read or ends early, or when `out`
 * closes first; the caller then cuts the response.
 */
export async function pumpFile(
  path: string,
  start: number,
  end: number,
  out: Writable,
  counted: (bytes: number) => void = () => {},
): Promise<void> {
  const file = await open(path, 'r');
  try {
    let position = start;
    while (position <= end) {
      if (out.destroyed) throw new Error('the client went away');
      const chunk = pool.pop() ?? Buffer.allocUnsafeSlow(PUMP_CHUNK);
      const { bytesRead } = await file.read(chunk, 0, Math.min(PUMP_CHUNK, end - position + 1), position);
      if (bytesRead === 0) {
        release(chunk);
        throw new Error(`${path} ended at byte ${position}, before ${end + 1}`);
      }
      position += bytesRead;
      counted(bytesRead);
      await writeChunk(out, chunk, bytesRead);
    }
    out.end();
  } finally {
    await file.close();
  }
}

/**
 * Writes the first `length` bytes of `chunk` and resolves when the write is done (the chunk then goes back to
 * the pool). Rejects when the write fails or `out` closes before: the chunk is not reused then, as the
 * transport may still hold it.
 */
function writeChunk(out: Writable, chunk: Buffer, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('the client went away'));
    out.once('close', onClose);
    out.write(length === chunk.length ? chunk : chunk.subarray(0, length), (err) => {
      out.off('close', onClose);
      if (err) {
        reject(err);
        return;
      }
      release(chunk);
      resolve();
    });
  });
}

function release(chunk: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(chunk);
}
