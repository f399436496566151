#!/usr/bin/env node
// `npm run bench:static`: static files served by Tandem (`tandem static`, once per HTTP engine: `tandem llhttp`,
// `tandem node`) against a bare node:http handler answering the same bytes from memory, nginx (one worker,
// sendfile, open_file_cache) and sirv, on loopback.
// Two files: 4 KiB (req/s) and 1 MiB (bytes/s). Contenders are measured in alternation, round after round, so
// drift of the machine hits all alike. Prints medians and writes docs/bench-static.md and docs/bench-static.svg.
// Usage: npm run bench:static [-- --rounds 3 --seconds 5]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDebianPackages, measureStack, median, parseWrk, runCaptured } from './lib.mjs';
import { HEADERS_MORE } from './nginx.mjs';
import { barChartSvg, errorText, fmt } from './report.mjs';
import { checkAnswers } from './static-contenders/answers.mjs';
import { figuresTable, headersTable, STATIC_COLORS, staticGoals } from './static-contenders/report.mjs';
import { LARGE, makeSite, SMALL } from './static-contenders/site.mjs';
import { CONTENDERS, TANDEM } from './static-contenders/stacks.mjs';

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv,
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const CONNECTIONS = 64;
const FILES = [
  { id: 'small', file: SMALL, title: `${fmt(SMALL.size)} bytes (${SMALL.name}, ${SMALL.type})` },
  { id: 'large', file: LARGE, title: `1 MiB (${LARGE.name}, ${LARGE.type})` },
];

ensureDebianPackages([
  ['wrk', 'wrk'],
  ['nginx', 'nginx'],
  [HEADERS_MORE, 'libnginx-mod-http-headers-more-filter'],
]);

const log = (line) => console.error(line);
const started = Date.now();

/** wrk's Transfer/sec in MiB/s (wrk's units are powers of 1024). */
function transferMiB(out) {
  const m = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  if (!m) return Number.NaN;
  return Number(m[1]) * { B: 1 / 1024 ** 2, KB: 1 / 1024, MB: 1, GB: 1024 }[m[2]];
}

/** Runs `wrk -t1 -cN -dS --latency url`; resolves with parseWrk's figures plus mibps. */
async function runWrk(url, secs) {
  const out = await runCaptured('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${secs}s`, '--latency', url]);
  return { ...parseWrk(out), mibps: transferMiB(out) };
}

/** One measurement of `path` on `stack`: wrk's figures with MiB/s, CPU µs per request and peak RSS. */
function measure(stack, path, secs) {
  return measureStack(stack, () => runWrk(`${stack.url}${path}`, secs));
}

const site = makeSite();
const results = {};
const headers = {};
let nginxConf = '';
const stacks = [];
try {
  for (const c of CONTENDERS) stacks.push(await c.start(site.dir));
  nginxConf = stacks.find((s) => s.conf !== undefined)?.conf ?? '';
  for (const { id, file } of FILES) {
    const expected = readFileSync(join(site.dir, file.name));
    const check = await checkAnswers(stacks, `/${file.name}`, expected);
    if (check.problems.length > 0)
      throw new Error(`the contenders answer badly:\n${check.problems.join('\n')}`);
    headers[id] = check.headers;
  }
  log(`same bytes, status 200: ${stacks.map((s) => s.name).join(', ')}`);
  for (let round = 1; round <= rounds; round++) {
    for (const { id, file } of FILES) {
      for (const stack of stacks) {
        await measure(stack, `/${file.name}`, 1); // warm-up: connections, JIT, caches
        const r = await measure(stack, `/${file.name}`, seconds);
        results[id] ??= {};
        results[id][stack.name] ??= [];
        results[id][stack.name].push(r);
        const errs = errorText([r]);
        log(
          `round ${round} ${id} ${stack.name}: ${fmt(r.rps)} req/s, ${fmt(r.mibps)} MiB/s, p99 ${fmt(r.p99, 2)} ms, CPU ${fmt(r.cpuUs, 1)} µs/req, RSS ${fmt(r.rss)} MiB${errs === '0' ? '' : `, errors: ${errs}`}`,
        );
      }
    }
  }
} finally {
  for (const s of stacks) await s.stop();
  site.remove();
}

const rowsOf = (id) =>
  CONTENDERS.map(({ name }) => {
    const runs = results[id]?.[name] ?? [];
    const m = (key) => median(runs.map((r) => r[key]));
    return {
      name,
      rps: m('rps'),
      mibps: m('mibps'),
      p50: m('p50'),
      p99: m('p99'),
      cpuUs: m('cpuUs'),
      rss: m('rss'),
      errors: errorText(runs),
    };
  });
const small = rowsOf('small');
const large = rowsOf('large');
const goals = staticGoals(small, large, TANDEM);
const tables = `### ${FILES[0].title}\n\n${figuresTable(small, TANDEM)}\n\n### ${FILES[1].title}\n\n${figuresTable(large, TANDEM)}`;
console.log(`\n${tables}\n\n${goals}\n`);
const order = CONTENDERS.map((c) => c.name).join(', ');

/** The first group of `re` in what `cmd args` prints (stdout and stderr), or `?`. */
function version(cmd, args, re) {
  const run = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${run.stdout}${run.stderr}`)?.[1] ?? '?';
}
const nginxVersion = version('nginx', ['-v'], /nginx\/(\S+)/);
const wrkVersion = version('wrk', ['-v'], /wrk (\S+)/);
const sirvVersion = JSON.parse(
  readFileSync(new URL('../node_modules/sirv/package.json', import.meta.url), 'utf8'),
).version;
const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const command =
  process.env.npm_lifecycle_event === 'bench:static'
    ? `npm run bench:static${argv.length ? ` -- ${argv.join(' ')}` : ''}`
    : `node bench/static-compare.mjs ${argv.join(' ')}`.trim();
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const findingsFile = new URL('./static-contenders/findings.md', import.meta.url);
let findings = '';
try {
  findings = readFileSync(findingsFile, 'utf8').trim();
} catch {
  // No findings written yet.
}

const doc = `# Benchmark: static files — Tandem against node:http, nginx and sirv

<!-- Generated by bench/static-compare.mjs (npm run bench:static); do not edit by hand, run it again. -->

![req/s for 4 KiB, MiB/s for 1 MiB, per contender](bench-static.svg)

Measured ${date} with \`${command}\` (${minutes} min).

- **Machine**: ${cpus().length} cores (${cpuModel}), Node ${process.version}, nginx ${nginxVersion}, sirv ${sirvVersion}, wrk ${wrkVersion}; everything on loopback (127.0.0.1).
- **Files**: a fresh temp folder holding \`${SMALL.name}\` (${fmt(SMALL.size)} bytes of CSS) and \`${LARGE.name}\` (${fmt(LARGE.size)} bytes of binary), made by [bench/static-contenders/site.mjs](../bench/static-contenders/site.mjs), the same bytes every run. wrk sends no \`Accept-Encoding\`, so every contender answers identity (no compression).
- **Contenders**:
  - ${TANDEM.map((name) => `**${name}**`).join(' and ')} — \`tandem static DIR --port 0 --engine ENGINE\` from the built CLI (\`dist/\`), default event model, one process per engine: \`llhttp\` is Tandem's own HTTP/1.1 engine on raw sockets driving Node's llhttp parser (the default), \`node\` is node:http. Its static layer (src/static) keeps files up to 1 MiB in memory (32 MiB in all), answering them without touching the disk for 1 s after the last stat that saw them unchanged (\`cacheValidMs\`, as nginx's \`open_file_cache_valid\`), and streams larger ones from disk with backpressure. It writes a combined access-log line per request to stdout, which goes to /dev/null here.
  - **node:http** — [bench/static-contenders/node-static.mjs](../bench/static-contenders/node-static.mjs): both files read into memory at start, answered with the same header fields as Tandem from a prebuilt object; no stat, no conditional or range handling, no access log. The limit of one Node process.
  - **nginx** — [bench/static-contenders/nginx-static.mjs](../bench/static-contenders/nginx-static.mjs): \`worker_processes 1\`, \`sendfile on\`, \`tcp_nopush on\`, \`open_file_cache max=1000 inactive=60s\`, \`open_file_cache_valid 60s\`, \`open_file_cache_errors on\`, \`charset utf-8\` for text/css, \`add_header X-Content-Type-Options nosniff\` (and \`Vary: Accept-Encoding\` on .css, as Tandem sends), \`Server\` cleared (headers-more), \`keepalive_timeout 5s 5s\` and \`keepalive_requests 1000000\`, access log \`/dev/null combined buffer=64k\`. The full config is below.
  - **sirv** — [bench/static-contenders/sirv-server.mjs](../bench/static-contenders/sirv-server.mjs): \`sirv(dir, { etag: true })\` (production mode: the folder's headers computed once at start, each body streamed with \`fs.createReadStream\`) as the request listener of a node:http server, no access log.
- **Access logs**: Tandem (both engines) and nginx write one line per request (to /dev/null); node:http and sirv write none.
- **Same answers**: checked before measuring — every contender answers both files with 200, the file's exact bytes and its Content-Length, and an ETag and/or Last-Modified. The header fields each one sends are listed under "Headers" below, differences included.
- **Method**: wrk with **one thread** (\`-t1\`, so it leaves a core to the server) and ${CONNECTIONS} keep-alive connections. All contenders run at once and are measured in alternation (${order}, then again) for ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s per measurement and file, each after a 1 s warm-up; figures are **medians of the rounds** (errors summed). MiB/s is wrk's Transfer/sec (headers included, powers of 1024). CPU µs/req is user + system time of the contender's processes (nginx: master and worker) over the requests served. RSS is the peak, sampled every 250 ms. "tandem ENGINE ÷ this" is that Tandem contender's req/s divided by the row's.

## Goals

${goals}

## Figures

${tables}

## Headers

Without \`Date\`, which all send.

### ${SMALL.name}

${headersTable(headers.small)}

### ${LARGE.name}

${headersTable(headers.large)}

## nginx config

\`\`\`nginx
${nginxConf.trim()}
\`\`\`
${findings ? `\n${findings}\n` : ''}`;
writeFileSync(new URL('../docs/bench-static.md', import.meta.url), doc);
const svg = barChartSvg(
  [
    { title: `4 KiB file: requests per second`, unit: 'req/s', key: 'rps', rows: small },
    { title: `1 MiB file: MiB per second`, unit: 'MiB/s', key: 'mibps', rows: large },
  ],
  {
    title: 'Static files (higher is better)',
    caption: `median of ${rounds} × ${seconds} s, wrk -t1 -c${CONNECTIONS}, ${cpus().length} cores, Node ${process.version}, nginx ${nginxVersion}, sirv ${sirvVersion}, ${date}`,
    colors: STATIC_COLORS,
  },
);
writeFileSync(new URL('../docs/bench-static.svg', import.meta.url), svg);
log(`wrote docs/bench-static.md and docs/bench-static.svg (${minutes} min)`);
