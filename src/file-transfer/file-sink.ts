import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Bytes gathered before one write to the file. */
const SINK_CHUNK = 1024 * 1024;
/** Idle gather buffers kept for reuse (all sinks of the process together). */
const POOL_MAX = 4;
const pool: Buffer[] = [];

/**
 * Writes everything `source` sends into an open file, from byte `position` on (null: at the end, for a file
 * opened with O_APPEND), and resolves with the bytes written once `source` has ended and every write is done.
 * The incoming chunks are copied into 1 MiB buffers at once and each full buffer becomes one write: the chunks
 * die young (a fresh read buffer held until its own write would outlive a scavenge and be promoted, which is
 * what made uploads spend their time in mark-compacts), and the file sees few large writes. Two buffers may be
 * in flight at explicit positions (one for appends, whose order only the file offset keeps); beyond that
 * `source` is paused (backpressure). Rejects when a write fails or `source` closes without ending (the caller
 * destroys it on abort or stall); the handle stays open.
 */
export function sinkToFile(source: Readable, file: FileHandle, position: number | null): Promise<number> {
  const maxInFlight = position === null ? 1 : 2;
  let offset = position ?? 0;
  let current: Buffer | undefined;
  let filled = 0;
  let inFlight = 0;
  let written = 0;
  let held: Buffer | undefined; // the rest of a chunk that arrived while every buffer was busy
  let ended = false;
  let settled = false;

  return new Promise<number>((resolve, reject) => {
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      reject(err);
    };
    const finishIfDone = () => {
      if (!settled && ended && inFlight === 0 && filled === 0 && held === undefined) {
        settled = true;
        resolve(written);
      }
    };
    const flush = () => {
      const buffer = current;
      if (buffer === undefined || filled === 0 || inFlight >= maxInFlight) return;
      const length = filled;
      current = undefined;
      filled = 0;
      inFlight++;
      const at = position === null ? null : offset;
      offset += length;
      file.write(buffer, 0, length, at).then(({ bytesWritten }) => {
        inFlight--;
        if (bytesWritten !== length)
          return fail(new Error(`short write: ${bytesWritten} of ${length} bytes`));
        written += length;
        release(buffer);
        if (held !== undefined) {
          const rest = held;
          held = undefined;
          take(rest);
        }
        if (held === undefined && !ended) source.resume();
        if (ended) flush();
        finishIfDone();
      }, fail);
    };
    /** Copies `chunk` into gather buffers; keeps what does not fit while every buffer is in flight. */
    const take = (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        if (current !== undefined && filled === SINK_CHUNK) {
          if (inFlight >= maxInFlight) {
            held = chunk.subarray(at);
            source.pause();
            return;
          }
          flush();
        }
        current ??= pool.pop() ?? Buffer.allocUnsafeSlow(SINK_CHUNK);
        const n = Math.min(SINK_CHUNK - filled, chunk.length - at);
        chunk.copy(current, filled, at, at + n);
        filled += n;
        at += n;
      }
      if (filled === SINK_CHUNK) flush();
    };
    const onData = (chunk: Buffer) => {
      if (held !== undefined) {
        held = Buffer.concat([held, chunk]);
        return;
      }
      take(chunk);
    };
    source.on('data', onData);
    // A 'data' listener does not start a source that was paused explicitly (a socket accepted with
    // pauseOnConnect is): start it.
    source.resume();
    source.once('end', () => {
      ended = true;
      if (held === undefined) flush();
      finishIfDone();
    });
    source.once('close', () => {
      if (!ended) fail(new Error('the sender went away before the end'));
    });
    source.once('error', fail);
  });
}

function release(buffer: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(buffer);
}
