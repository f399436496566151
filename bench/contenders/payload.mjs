// The payloads every contender of bench/compare.mjs answers with, read from payload.json (which the Tandem
// bench app reads too): `Hello, World!` as text/plain and a ~2 KB object serialized per request.
import { readFileSync } from 'node:fs';

const payload = JSON.parse(readFileSync(new URL('./payload.json', import.meta.url), 'utf8'));

/** The body of GET /hello. */
export const HELLO = payload.hello;
/** The object GET /json serializes on every request (about 2 KB of JSON). */
export const JSON_OBJECT = payload.json;
/** The content type of /hello and of the length POST /upload answers. */
export const TEXT_TYPE = 'text/plain; charset=utf-8';
/** The content type of /json. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** The contender's options: `--port P` (default 0) and `--keep-alive MS` (idle keep-alive timeout, 60 s). */
export function contenderOptions(argv = process.argv.slice(2)) {
  const get = (flag, fallback) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return { port: get('--port', 0), keepAlive: get('--keep-alive', 60_000) };
}
