// The file the FTP bench transfers: random bytes written once into a folder that both servers serve, kept across
// runs (with its sha256 beside it) so that a run does not spend a minute making 1 GiB again.
import { createHash, randomFillSync } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** The folder served by both servers: world-readable, kept between runs. */
export const BENCH_ROOT = '/tmp/tandem-ftp-bench';

const CHUNK = 1024 * 1024;

/** The sha256 (hex) of a file, streamed. */
export function sha256File(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: CHUNK })
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Makes sure BENCH_ROOT/data-<MiB>M.bin holds `mib` MiB of random bytes (every block written, no holes) and
 * resolves with { name, path, size, sha256 }.
 */
export async function ensureDataFile(mib) {
  mkdirSync(BENCH_ROOT, { recursive: true });
  chmodSync(BENCH_ROOT, 0o755);
  const name = `data-${mib}M.bin`;
  const path = join(BENCH_ROOT, name);
  const sumFile = `${path}.sha256`;
  const size = mib * CHUNK;
  if (existsSync(path) && statSync(path).size === size && existsSync(sumFile)) {
    return { name, path, size, sha256: readFileSync(sumFile, 'utf8').trim() };
  }
  console.error(`writing ${mib} MiB of random bytes to ${path}…`);
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'w', 0o644);
  try {
    for (let i = 0; i < mib; i++) {
      randomFillSync(block);
      hash.update(block);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o644);
  const sha256 = hash.digest('hex');
  writeFileSync(sumFile, `${sha256}\n`);
  return { name, path, size, sha256 };
}
