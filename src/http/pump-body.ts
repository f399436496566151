import type { Writable } from 'node:stream';

/**
 * Writes `body` to `out` chunk by chunk, pulling the next only once `out` took the last (backpressure), then
 * ends it; `counted` is told the bytes of each chunk. Rejects when `out` is destroyed first. Every engine
 * that writes a reply body of chunks to a Writable (an HTTP/1.1 body writer, an HTTP/2 stream) uses it.
 */
export async function pumpBody(
  body: AsyncIterable<Uint8Array>,
  out: Writable,
  counted?: (bytes: number) => void,
): Promise<void> {
  for await (const chunk of body) {
    if (out.destroyed) throw new Error('the client closed the connection');
    if (chunk.length === 0) continue;
    counted?.(chunk.length);
    if (!out.write(chunk)) await writable(out);
  }
  await new Promise<void>((resolve, reject) => {
    out.end(() => (out.destroyed && !out.writableFinished ? reject(new Error('closed')) : resolve()));
    out.once('error', reject);
  });
}

/** Resolves when `out` can take more; rejects when it is destroyed first. */
function writable(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const drained = () => {
      out.off('close', closed);
      resolve();
    };
    const closed = () => {
      out.off('drain', drained);
      reject(new Error('the client closed the connection'));
    };
    out.once('drain', drained);
    out.once('close', closed);
  });
}
