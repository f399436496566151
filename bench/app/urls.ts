import { readFileSync } from 'node:fs';
import { text, type Urls, type WebframeRequest } from '../../src/webframe/index.js';

/** The payloads every contender of bench/compare.mjs answers with: `Hello, World!` and a ~2 KB object. */
const payload = JSON.parse(readFileSync(new URL('../contenders/payload.json', import.meta.url), 'utf8')) as {
  hello: string;
  json: object;
};
/** Computes for about `ms` milliseconds: a view whose cost is CPU, not waiting. */
function compute(ms: number): number {
  const until = performance.now() + ms;
  let spins = 0;
  while (performance.now() < until) spins++;
  return spins;
}

/** Reads the whole request body and answers its length in bytes, as text. */
async function upload(req: WebframeRequest) {
  let bytes = 0;
  for await (const chunk of req.body) bytes += chunk.length;
  return text(String(bytes));
}

/**
 * The benchmark app. `/cheap` and `/cpu` (about 20 ms of CPU per request) serve bench/models.mjs; `/hello`,
 * `/json` (the object serialized per request) and `POST /upload` serve bench/compare.mjs, answering the
 * same bytes as the contenders in bench/contenders.
 */
const urls: Urls = [
  ['/cheap', () => 'ok'],
  ['/cpu', () => ({ spins: compute(20) })],
  ['/hello', () => text(payload.hello)],
  ['/json', () => payload.json],
  ['/upload', { POST: upload }],
];

export default urls;
