#!/usr/bin/env node
// Measures every concurrency model of the webframe (behind an event-model httpserver) on a cheap route and on
// a CPU-bound route (~20 ms per request), 8 concurrent keep-alive clients, contenders alternated round by round
// so that drift of the machine hits all alike; reports medians and writes them into docs/models.md.
// Usage: npm run bench:models [-- --rounds 3 --seconds 5]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ensureWrk, median, rssMiB, startTandem, wrk } from './lib.mjs';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const MODELS = ['loop', 'event', 'fork', 'prefork', 'thread'];
const ROUTES = ['/cheap', '/cpu'];

ensureWrk();
const stacks = [];
for (const model of MODELS) {
  const webframe = await startTandem([
    'webframe',
    'bench/app',
    '--port',
    '0',
    '--model',
    model,
    '--workers',
    '2',
  ]);
  const front = await startTandem(['httpserver', '--port', '0', '--webframe', `127.0.0.1:${webframe.port}`]);
  stacks.push({ model, webframe, front, url: `http://127.0.0.1:${front.port}` });
}

const results = {};
for (let round = 1; round <= rounds; round++) {
  for (const route of ROUTES) {
    for (const s of stacks) {
      wrk(`${s.url}${route}`, { seconds: 1 }); // warm-up: pool connections, JIT
      const r = wrk(`${s.url}${route}`, { seconds });
      const key = `${s.model} ${route}`;
      results[key] ??= [];
      results[key].push({ ...r, rss: rssMiB(s.webframe.proc.pid) });
      console.error(`round ${round} ${key}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms`);
    }
  }
}
for (const s of stacks) {
  s.front.proc.kill('SIGTERM');
  s.webframe.proc.kill('SIGTERM');
}

const eventCpu = median(results['event /cpu'].map((r) => r.rps));
const rows = [];
for (const model of MODELS) {
  for (const route of ROUTES) {
    const runs = results[`${model} ${route}`];
    const rps = median(runs.map((r) => r.rps));
    const ratio = route === '/cpu' ? `${(rps / eventCpu).toFixed(2)}×` : '';
    rows.push(
      `| ${model} | \`${route}\` | ${rps.toFixed(0)} | ${median(runs.map((r) => r.p50)).toFixed(1)} | ${median(runs.map((r) => r.p99)).toFixed(1)} | ${ratio} | ${median(runs.map((r) => r.rss)).toFixed(0)} |`,
    );
  }
}
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version},`,
  `\`npm run bench:models -- --rounds ${rounds} --seconds ${seconds}\`: webframe \`--model M --workers 2\` behind an`,
  'event-model httpserver, `wrk -t1 -c8` (8 keep-alive clients), medians of the rounds, contenders alternated.',
  '',
  '| model | route | req/s | p50 ms | p99 ms | /cpu vs event | webframe RSS MiB |',
  '|---|---|---:|---:|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(table);

const doc = new URL('../docs/models.md', import.meta.url);
const text = readFileSync(doc, 'utf8');
const start = '<!-- bench:models:start -->';
const end = '<!-- bench:models:end -->';
if (text.includes(start) && text.includes(end)) {
  writeFileSync(
    doc,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`,
  );
  console.error('docs/models.md updated');
}
process.exit(0);
