import { randomBytes, timingSafeEqual } from 'node:crypto';
import { errors } from '../errors/catalogue.js';
import { ScryptThread } from './scrypt-thread.js';

/**
 * scrypt cost parameters of new hashes: 8 MiB (128·N·r) and about 40 ms per hash. scrypt's author suggested
 * N=2^14 r=8 p=1 (16 MiB) for interactive logins; this spends the same CPU (N·p) in half the memory, which a
 * server with many logins holds once per login in flight. OWASP's minimum (N=2^17) is heavier; either way a
 * hash carries its parameters, so stronger ones made elsewhere verify too.
 */
const DEFAULT_N = 8192;
const DEFAULT_R = 8;
const DEFAULT_P = 2;
/** How a hash made now begins, for messages that show the expected format. */
export const HASH_PREFIX = `scrypt$${DEFAULT_N}$${DEFAULT_R}$${DEFAULT_P}$`;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds of parameters accepted from a stored hash, so that a bad config cannot make a login cost minutes or gigabytes. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
/** Longest password read by hashPasswordFromStream, in bytes. */
const MAX_PASSWORD_BYTES = 1024;

/** Where this process's hashes are derived (see ScryptThread for why not the libuv pool). */
const scryptThread = new ScryptThread();

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function memoryFor(N: number, r: number, p: number): number {
  // scrypt needs 128·N·r bytes for V plus 128·r·p for B; leave headroom over Node's 32 MiB default.
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

/** Parses `scrypt$N$r$p$salt$hash`, or undefined when it is malformed or its parameters are out of bounds. */
function parseHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, nText, rText, pText, saltText, keyText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (![nText, rText, pText].every((t) => /^[1-9]\d{0,7}$/.test(t))) return undefined;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r > MAX_R || p > MAX_P) return undefined;
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!base64.test(saltText) || !base64.test(keyText)) return undefined;
  const salt = Buffer.from(saltText, 'base64');
  const key = Buffer.from(keyText, 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 128) return undefined;
  return { N, r, p, salt, key };
}

/** True when `hash` is a well-formed `scrypt$N$r$p$salt$hash` string that verifyPassword can check. */
export function isPasswordHash(hash: string): boolean {
  return parseHash(hash) !== undefined;
}

/** Hashes `password` as `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>` with node:crypto scrypt and a random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const options = {
    N: DEFAULT_N,
    r: DEFAULT_R,
    p: DEFAULT_P,
    maxmem: memoryFor(DEFAULT_N, DEFAULT_R, DEFAULT_P),
  };
  const key = await scryptThread.derive(password, salt, KEY_BYTES, options);
  return `${HASH_PREFIX}${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks `password` against a hash from hashPassword with a constant-time compare; false for a malformed hash.
 * Rejects with FTP_PASSWORD_CHECK when the hash cannot be computed (scrypt failed or its thread died).
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (parsed === undefined) return false;
  const { N, r, p, salt, key } = parsed;
  const actual = await scryptThread.derive(password, salt, key.length, {
    N,
    r,
    p,
    maxmem: memoryFor(N, r, p),
  });
  return timingSafeEqual(actual, key);
}

/**
 * A valid hash that no password is known to match (its key is random), with the default parameters:
 * verify against it for an unknown user so that a login costs the same time whether the user exists.
 */
export const decoyPasswordHash = `${HASH_PREFIX}${randomBytes(SALT_BYTES).toString('base64')}$${randomBytes(KEY_BYTES).toString('base64')}`;

/**
 * The `tandem ftpd --hash-password` helper: reads one password line from `input` (up to the first
 * newline or the end, CR/LF removed; at most 1 KiB) and returns its hash for the config file's
 * `users[].password`. Prompts on stderr when `input` is a terminal. Rejects an empty or too long password
 * with a CLI_USAGE TandemError.
 */
export async function hashPasswordFromStream(
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<string> {
  if (input.isTTY === true) process.stderr.write('Password: ');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buffer);
    size += buffer.length;
    if (buffer.includes(0x0a) || size > MAX_PASSWORD_BYTES) break;
  }
  const all = Buffer.concat(chunks);
  const newline = all.indexOf(0x0a);
  let line = (newline < 0 ? all : all.subarray(0, newline)).toString('utf8');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (Buffer.byteLength(line) > MAX_PASSWORD_BYTES) {
    throw errors.CLI_USAGE(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  if (line.length === 0) throw errors.CLI_USAGE('empty password: write the password on standard input');
  return hashPassword(line);
}
