// The folder every contender of bench/static-compare.mjs serves: a 4 KiB stylesheet and a 1 MiB binary file,
// the same bytes on every run (a fixed pseudo-random sequence), and the headers each contender is asked to send.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/**
 * The small file: 4,096 bytes of CSS, served from memory by every contender that caches, with its
 * precompressed siblings `small.css.br` and `small.css.gz` (as a site's build step makes them) for clients that
 * send Accept-Encoding, so that every contender can answer a browser with the same compressed bytes.
 */
export const SMALL = {
  name: 'small.css',
  size: 4096,
  type: 'text/css; charset=utf-8',
  br: 'small.css.br',
  gz: 'small.css.gz',
};
/** The large file: 1 MiB of binary data, streamed (or sent with sendfile) by the contenders that can. */
export const LARGE = { name: 'large.bin', size: 1024 * 1024, type: 'application/octet-stream' };

/** `n` bytes from a fixed xorshift sequence, so that every run serves the same file contents. */
function pseudoRandomBytes(n, seed) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** 4 KiB of plausible CSS: rules with pseudo-random class names and colours, padded to the exact size. */
function stylesheet(size) {
  const noise = pseudoRandomBytes(size, 7);
  let css = '';
  for (let i = 0; css.length < size; i++) {
    const hex = noise.subarray(i * 3, i * 3 + 3).toString('hex');
    css += `.c${i} { color: #${hex}; margin: ${i % 17}px ${i % 5}px; }\n`;
  }
  return Buffer.from(`${css.slice(0, size - 1)}\n`);
}

/** Creates a fresh temp folder holding SMALL (and its siblings) and LARGE; resolves with { dir, remove() }. */
export function makeSite() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-static-site-'));
  chmodSync(dir, 0o755); // nginx's worker runs as nobody when the bench runs as root
  const css = stylesheet(SMALL.size);
  writeFileSync(join(dir, SMALL.name), css);
  // Written after the original: a sibling older than its original is not served (Tandem, nginx's *_static).
  const best = { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } };
  writeFileSync(join(dir, SMALL.br), brotliCompressSync(css, best));
  writeFileSync(join(dir, SMALL.gz), gzipSync(css, { level: 9 }));
  writeFileSync(join(dir, LARGE.name), pseudoRandomBytes(LARGE.size, 11));
  for (const f of [SMALL, LARGE]) {
    const { size } = statSync(join(dir, f.name));
    if (size !== f.size) throw new Error(`${f.name}: wrote ${size} bytes, expected ${f.size}`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
