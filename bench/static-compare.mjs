#!/usr/bin/env node
// `npm run bench:static`: static files served by Tandem (`tandem static` and `tandem httpserver --static`, each
// once per HTTP engine) against a bare node:http handler answering the same bytes from memory, nginx (one
// worker, sendfile, open_file_cache) and sirv, on loopback.
// Four measurements: 4 KiB without Accept-Encoding, with a browser's, and revalidated as a browser does (304),
// all in req/s, and 1 MiB (bytes/s). Contenders are measured in alternation, round after round, so drift of the machine hits all alike. Prints medians and
// writes docs/bench-static.md and docs/bench-static.svg.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDebianPackages, measureStack, median, parseWrk, runCaptured } from './lib.mjs';
import { HEADERS_MORE } from './nginx.mjs';
import { barChartSvg, errorText, fmt } from './report.mjs';
import { checkAnswers } from './static-contenders/answers.mjs';
import { BROTLI_STATIC } from './static-contenders/nginx-static.mjs';
import { figuresTable, headersTable, STATIC_COLORS, staticGoals } from './static-contenders/report.mjs';
import { LARGE, makeSite, SMALL } from './static-contenders/site.mjs';
import { CONTENDERS, TANDEM } from './static-contenders/stacks.mjs';

const USAGE = `Usage: npm run bench:static [-- --rounds N --seconds S --only NAME,NAME]
       node bench/static-compare.mjs [--rounds N] [--seconds S] [--only NAME,NAME]   (after npm run build)

Static files: ${CONTENDERS.map((c) => c.name).join(', ')}.
Measures 4 KiB without Accept-Encoding, with a browser's Accept-Encoding, revalidated (304), and 1 MiB, with
wrk -t1 -c64, contenders in alternation; writes docs/bench-static.md and docs/bench-static.svg.
  --rounds N    rounds of measurements (default 3); figures are medians of the rounds
  --seconds S   seconds per measurement (default 5), each after a 1 s warm-up
  --only LIST   measure only these contenders (comma-separated names); the docs are then not rewritten`;

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const only = values.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !CONTENDERS.some((c) => c.name === name)) ?? [];
if (unknown.length > 0) throw new Error(`--only: no contender named ${unknown.join(', ')}\n\n${USAGE}`);
const contenders = only === undefined ? CONTENDERS : CONTENDERS.filter((c) => only.includes(c.name));
const CONNECTIONS = 64;
/** What a browser sends (Chrome's value): every contender then answers small.css's precompressed .br. */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';
const BROWSER = { 'accept-encoding': BROWSER_ACCEPT_ENCODING };
/** Each contender's ETag for small.css as a browser asks for it (its br representation), once checked. */
const browserTags = {};
/**
 * The measurements: `name` is the file asked for, `expected` the file whose bytes must come back, and
 * `requestFor(stack)` the header fields sent to that contender; `goals` says the 4 KiB goals are checked on it.
 */
const SCENARIOS = [
  {
    id: 'small',
    label: 'no Accept-Encoding',
    name: SMALL.name,
    expected: SMALL.name,
    goals: true,
    title: `${fmt(SMALL.size)} bytes (${SMALL.name}, ${SMALL.type}), no Accept-Encoding: identity`,
  },
  {
    id: 'browser',
    label: `Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}`,
    name: SMALL.name,
    expected: SMALL.br,
    requestFor: () => BROWSER,
    encoding: 'br',
    goals: true,
    title: `${fmt(SMALL.size)} bytes (${SMALL.name}), \`Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}\` as a browser sends: its precompressed ${SMALL.br}`,
  },
  {
    id: 'revalidation',
    label: 'revalidation',
    name: SMALL.name,
    expected: SMALL.br,
    requestFor: (stack) => ({ ...BROWSER, 'if-none-match': browserTags[stack.name] }),
    status: 304,
    title: `${SMALL.name} revalidated as a browser does (its Accept-Encoding and \`If-None-Match\` with the contender's own ETag of the br representation): 304`,
  },
  {
    id: 'large',
    label: 'no Accept-Encoding',
    name: LARGE.name,
    expected: LARGE.name,
    title: `1 MiB (${LARGE.name}, ${LARGE.type})`,
  },
];

ensureDebianPackages([
  ['wrk', 'wrk'],
  ['nginx', 'nginx'],
  [HEADERS_MORE, 'libnginx-mod-http-headers-more-filter'],
  [BROTLI_STATIC, 'libnginx-mod-http-brotli-static'],
]);

const log = (line) => console.error(line);
const started = Date.now();

/** wrk's Transfer/sec in MiB/s (wrk's units are powers of 1024). */
function transferMiB(out) {
  const m = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  if (!m) return Number.NaN;
  return Number(m[1]) * { B: 1 / 1024 ** 2, KB: 1 / 1024, MB: 1, GB: 1024 }[m[2]];
}

/** Runs `wrk -t1 -cN -dS --latency [-H FIELD]... url`; resolves with parseWrk's figures plus mibps. */
async function runWrk(url, secs, request = {}) {
  const fields = Object.entries(request).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const out = await runCaptured('wrk', [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${secs}s`,
    '--latency',
    ...fields,
    url,
  ]);
  return { ...parseWrk(out), mibps: transferMiB(out) };
}

/** One measurement of `scenario` on `stack`: wrk's figures with MiB/s, CPU µs per request and peak RSS. */
function measure(stack, scenario, secs) {
  const request = scenario.requestFor?.(stack) ?? {};
  return measureStack(stack, () => runWrk(`${stack.url}/${scenario.name}`, secs, request));
}

const site = makeSite();
const results = {};
const headers = {};
let nginxConf = '';
const stacks = [];
try {
  for (const c of contenders) stacks.push(await c.start(site.dir));
  nginxConf = stacks.find((s) => s.conf !== undefined)?.conf ?? '';
  for (const scenario of SCENARIOS) {
    const expected = readFileSync(join(site.dir, scenario.expected));
    const check = await checkAnswers(stacks, `/${scenario.name}`, expected, scenario);
    if (check.problems.length > 0)
      throw new Error(`the contenders answer badly:\n${check.problems.join('\n')}`);
    headers[scenario.id] = check.headers;
    if (scenario.id === 'browser')
      for (const [name, fields] of Object.entries(check.headers)) browserTags[name] = fields.etag;
  }
  log(`same answers (status, bytes, coding): ${stacks.map((s) => s.name).join(', ')}`);
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of SCENARIOS) {
      const { id } = scenario;
      for (const stack of stacks) {
        await measure(stack, scenario, 1); // warm-up: connections, JIT, caches
        const r = await measure(stack, scenario, seconds);
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
  contenders.map(({ name }) => {
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
const rows = Object.fromEntries(SCENARIOS.map(({ id }) => [id, rowsOf(id)]));
const tandems = TANDEM.filter((name) => contenders.some((c) => c.name === name));
const goals = staticGoals(
  Object.fromEntries(SCENARIOS.filter((s) => s.goals).map((s) => [s.label, rows[s.id]])),
  rows.large,
  tandems,
);
const tables = SCENARIOS.map((s) => `### ${s.title}\n\n${figuresTable(rows[s.id], tandems)}`).join('\n\n');
console.log(`\n${tables}\n\n${goals}\n`);
if (only !== undefined) {
  log('--only: docs/bench-static.md not rewritten');
  process.exit(0);
}
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

/** The Tandem contenders whose names start with `start`, in bold, joined with "and". */
const boldNames = (start) =>
  TANDEM.filter((name) => name.startsWith(start))
    .map((name) => `**${name}**`)
    .join(' and ');
const staticNames = boldNames('tandem static');
const httpserverNames = boldNames('httpserver');

const doc = `# Benchmark: static files — Tandem against node:http, nginx and sirv

<!-- Generated by bench/static-compare.mjs (npm run bench:static); do not edit by hand, run it again. -->

![req/s for 4 KiB, MiB/s for 1 MiB, per contender](bench-static.svg)

Measured ${date} with \`${command}\` (${minutes} min).

- **Machine**: ${cpus().length} cores (${cpuModel}), Node ${process.version}, nginx ${nginxVersion}, sirv ${sirvVersion}, wrk ${wrkVersion}; everything on loopback (127.0.0.1).
- **Files**: a fresh temp folder holding \`${SMALL.name}\` (${fmt(SMALL.size)} bytes of CSS) with its precompressed siblings \`${SMALL.br}\` (brotli, best quality) and \`${SMALL.gz}\` (gzip -9), and \`${LARGE.name}\` (${fmt(LARGE.size)} bytes of binary), made by [bench/static-contenders/site.mjs](../bench/static-contenders/site.mjs), the same bytes every run.
- **Requests**: plain \`GET\`s from wrk. Without \`Accept-Encoding\` every contender answers identity. With a browser's \`Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}\` every contender answers \`${SMALL.br}\`'s bytes with \`Content-Encoding: br\` (the precompressed sibling: nothing is compressed while measuring). The revalidation adds \`If-None-Match\` with the ETag that contender gave for that representation, as a browser revalidates a cached stylesheet; every contender answers 304 (the 4 KiB goals are not checked on it).
- **Contenders**:
  - ${staticNames} — \`tandem static DIR --port 0 --engine ENGINE\` from the built CLI (\`dist/\`), default event model, one process per engine: \`llhttp\` is Tandem's own HTTP/1.1 engine on raw sockets driving Node's llhttp parser (the default), \`node\` is node:http. Its static layer (src/static) keeps files up to 1 MiB in memory (32 MiB in all) and their finished replies (200 and 304) per path and Accept-Encoding value, answering them and revalidations without touching the disk for 1 s after the last stat that saw the file unchanged (\`cacheValidMs\`, as nginx's \`open_file_cache_valid\`), and streams larger files from disk with backpressure. It writes a combined access-log line per request to stdout, which goes to /dev/null here.
  - ${httpserverNames} — \`tandem httpserver --static /static/=DIR --port 0 --engine ENGINE\` (the front server, default event model: one process), the same static layer mounted under \`/static/\` in front of the proxy to a webframe; the files are asked for as \`/static/small.css\`. No webframe runs: no request measured goes to one. Its access log goes to /dev/null too.
  - **node:http** — [bench/static-contenders/node-static.mjs](../bench/static-contenders/node-static.mjs): the files read into memory at start, answered with the same header fields as Tandem from a prebuilt object (the \`.br\` sibling when \`Accept-Encoding\` names br, a 304 when \`If-None-Match\` is exactly its ETag); no stat, no other conditional or range handling, no access log. The limit of one Node process.
  - **nginx** — [bench/static-contenders/nginx-static.mjs](../bench/static-contenders/nginx-static.mjs): \`worker_processes 1\`, \`sendfile on\`, \`tcp_nopush on\`, \`brotli_static on\` and \`gzip_static on\` (Debian's module for brotli), \`open_file_cache max=1000 inactive=60s\`, \`open_file_cache_valid 60s\`, \`open_file_cache_errors on\`, \`charset utf-8\` for text/css, \`add_header X-Content-Type-Options nosniff\` (and \`Vary: Accept-Encoding\` on .css, as Tandem sends), \`Server\` cleared (headers-more), \`keepalive_timeout 5s 5s\` and \`keepalive_requests 1000000\`, access log \`/dev/null combined buffer=64k\`. The full config is below.
  - **sirv** — [bench/static-contenders/sirv-server.mjs](../bench/static-contenders/sirv-server.mjs): \`sirv(dir, { etag: true, brotli: true, gzip: true })\` (production mode: the folder's headers computed once at start, each body streamed with \`fs.createReadStream\`, the \`.br\` sibling for a client that accepts br) as the request listener of a node:http server, no access log.
- **Access logs**: Tandem (every contender) and nginx write one line per request (to /dev/null); node:http and sirv write none.
- **Same answers**: checked before measuring — every contender answers each request with 200, the exact bytes (the file's, or \`${SMALL.br}\`'s for the browser's request) with the same Content-Encoding and their Content-Length, and an ETag and/or Last-Modified; the revalidation with a 304 without a body. The header fields each one sends are listed under "Headers" below, differences included.
- **Method**: wrk with **one thread** (\`-t1\`, so it leaves a core to the server) and ${CONNECTIONS} keep-alive connections. All contenders run at once and are measured in alternation (${order}, then again) for ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s per measurement, each after a 1 s warm-up; figures are **medians of the rounds** (errors summed). MiB/s is wrk's Transfer/sec (headers included, powers of 1024). CPU µs/req is user + system time of the contender's processes (nginx: master and worker) over the requests served: the steadier figure on a shared machine. RSS is the peak, sampled every 250 ms. "NAME ÷ this" is that Tandem contender's req/s divided by the row's.

## Goals

${goals}

## Figures

${tables}

## Headers

Without \`Date\`, which all send.

### ${SMALL.name}

${headersTable(headers.small)}

### ${SMALL.name} with \`Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}\`

${headersTable(headers.browser)}

### ${SMALL.name} revalidated (304)

${headersTable(headers.revalidation)}

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
    { title: '4 KiB file: requests per second', unit: 'req/s', key: 'rps', rows: rows.small },
    {
      title: `4 KiB file, Accept-Encoding: ${BROWSER_ACCEPT_ENCODING} (br): requests per second`,
      unit: 'req/s',
      key: 'rps',
      rows: rows.browser,
    },
    {
      title: '4 KiB file revalidated (If-None-Match): 304s per second',
      unit: 'req/s',
      key: 'rps',
      rows: rows.revalidation,
    },
    { title: '1 MiB file: MiB per second', unit: 'MiB/s', key: 'mibps', rows: rows.large },
  ],
  {
    title: 'Static files (higher is better)',
    caption: `median of ${rounds} × ${seconds} s, wrk -t1 -c${CONNECTIONS}, ${cpus().length} cores, Node ${process.version}, nginx ${nginxVersion}, sirv ${sirvVersion}, ${date}`,
    colors: STATIC_COLORS,
  },
);
writeFileSync(new URL('../docs/bench-static.svg', import.meta.url), svg);
log(`wrote docs/bench-static.md and docs/bench-static.svg (${minutes} min)`);
