import type { Urls } from '../../src/webframe/index.js';

/** Computes for about `ms` milliseconds: a view whose cost is CPU, not waiting. */
function compute(ms: number): number {
  const until = performance.now() + ms;
  let spins = 0;
  while (performance.now() < until) spins++;
  return spins;
}

/** The models benchmark app: a cheap route and a CPU-bound one (about 20 ms per request). */
const urls: Urls = [
  ['/cheap', () => 'ok'],
  ['/cpu', () => ({ spins: compute(20) })],
];

export default urls;
