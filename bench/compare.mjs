#!/usr/bin/env node
// `npm run bench`: Tandem (httpserver → webframe, once per HTTP engine: `tandem llhttp`, `tandem node`) against
// nginx → node:http (the reference), Fastify and node:http alone, on loopback, contenders alternated round by
// round so drift of the machine hits all alike.
// Scenarios: (a) GET /hello, (b) GET /json (~2 KB), (c) POST of 64 KiB bodies read whole, (d) /hello with
// 1,000 keep-alive connections, (e) RSS while holding 10,000 idle keep-alive connections; over TLS (Tandem and
// nginx → node:http only, both with one certificate made for the run): (f) HTTPS /hello on HTTP/1.1 keep-alive,
// (g) HTTP/2 /hello with h2load, 64 streams on 4 connections, (h) HTTPS /hello with a new TLS connection per
// request (resumed handshakes), (i) full handshakes at a fixed rate (CPU per handshake). Prints medians and
// writes docs/bench.md and docs/bench.svg.
// Usage: npm run bench [-- --rounds 3 --seconds 5 --scenario a,b,c,d,e,f,g,h,i --idle 10000]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { checkHello } from './check-hello.mjs';
import { closeAll, openIdleConnections } from './idle-connections.mjs';
import { ensureDebianPackages, h2loadAsync, measureStack, median, tcpActiveOpens, wrkAsync } from './lib.mjs';
import { HEADERS_MORE } from './nginx.mjs';
import { barChartSvg, errorText, fmt, goalsTable, memoryTable, throughputTable } from './report.mjs';
import { compareAnswers } from './same-bytes.mjs';
import { CONTENDERS, REFERENCE, TANDEM, TLS_CONTENDERS } from './stacks.mjs';
import { makeBenchCertificates } from './tls-certificates.mjs';

const argv = process.argv.slice(2);
// Idle connections need file descriptors: re-run under a shell that raises the limit for this process and
// every server it starts (to 65536, or the hard limit when that is lower).
if (process.env.BENCH_NOFILE === undefined) {
  const raise = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ';
  const run = spawnSync(
    'sh',
    [
      '-c',
      `${raise}BENCH_NOFILE=$(ulimit -n) exec "$0" "$@"`,
      process.execPath,
      ...process.execArgv,
      process.argv[1],
      ...argv,
    ],
    { stdio: 'inherit' },
  );
  process.exit(run.status ?? 1);
}
const maxFiles = Number(process.env.BENCH_NOFILE) || 1024;

const { values } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    scenario: { type: 'string', default: 'a,b,c,d,e,f,g,h,i' },
    idle: { type: 'string', default: '10000' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const idleCount = Number(values.idle);
const chosen = new Set(values.scenario.split(',').map((s) => s.trim()));
const KEEP_ALIVE_MS = 60_000;
const UPLOAD_BYTES = 65_536;
const LUA = new URL('./upload.lua', import.meta.url).pathname;
const CONNECTIONS = 64;
/** The fixed rate of (i): below what every contender handshakes in (h), so all keep up and CPU is comparable. */
const FULL_HANDSHAKES_PER_SECOND = 500;

/** The throughput scenarios: wrk, one thread, against one route. */
const SCENARIOS = [
  { id: 'a', title: '(a) GET /hello', path: '/hello', connections: CONNECTIONS },
  { id: 'b', title: '(b) GET /json, 2,003 bytes', path: '/json', connections: CONNECTIONS },
  {
    id: 'c',
    title: '(c) POST /upload, 64 KiB body read whole',
    path: '/upload',
    connections: CONNECTIONS,
    script: LUA,
  },
  { id: 'd', title: '(d) GET /hello, 1,000 connections', path: '/hello', connections: 1000 },
].filter((s) => chosen.has(s.id));

/**
 * The HTTPS scenarios, against TLS_CONTENDERS: `load` is wrk (HTTP/1.1; wrk offers no ALPN, so the servers
 * answer HTTP/1.1) or h2load (HTTP/2 by ALPN). One listener with HTTP/2 on serves all three, as a site would.
 */
const TLS_SCENARIOS = [
  {
    id: 'f',
    title: '(f) HTTPS GET /hello, HTTP/1.1 keep-alive',
    path: '/hello',
    load: 'wrk',
    connections: CONNECTIONS,
  },
  {
    id: 'g',
    title: '(g) HTTP/2 GET /hello, 64 streams on 4 connections',
    path: '/hello',
    load: 'h2load',
    clients: 4,
    streams: 16,
  },
  {
    id: 'h',
    title: '(h) HTTPS GET /hello, a new TLS connection per request',
    path: '/hello',
    load: 'wrk',
    connections: CONNECTIONS,
    headers: ['Connection: close'],
  },
  {
    id: 'i',
    title: `(i) HTTPS GET /hello, ${FULL_HANDSHAKES_PER_SECOND} full TLS handshakes a second`,
    path: '/hello',
    load: 'h2load',
    connectionsPerSecond: FULL_HANDSHAKES_PER_SECOND,
    headers: ['Connection: close'],
  },
].filter((s) => chosen.has(s.id));

ensureDebianPackages([
  ['wrk', 'wrk'],
  ['nginx', 'nginx'],
  [HEADERS_MORE, 'libnginx-mod-http-headers-more-filter'],
  ...(chosen.has('g') || chosen.has('i') ? [['h2load', 'nghttp2-client']] : []),
]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => console.error(line);
const started = Date.now();

/** Runs wrk on one scenario of `stack`; resolves with wrk's figures, CPU µs per request and peak RSS. */
function measure(stack, scenario, secs) {
  return measureStack(stack, () =>
    wrkAsync(`${stack.url}${scenario.path}`, {
      connections: scenario.connections,
      seconds: secs,
      script: scenario.script,
    }),
  );
}

/**
 * One measurement of an HTTPS scenario: wrk or h2load as the scenario says; with `headers` (a new connection
 * per request) it also counts the TCP connections the machine opened meanwhile (`connections`).
 */
function measureTls(stack, scenario, secs) {
  const url = `${stack.url}${scenario.path}`;
  return measureStack(stack, async () => {
    const opensBefore = tcpActiveOpens();
    const r =
      scenario.load === 'h2load'
        ? await h2loadAsync(url, {
            clients: scenario.clients,
            streams: scenario.streams,
            connectionsPerSecond: scenario.connectionsPerSecond,
            headers: scenario.headers,
            seconds: secs,
          })
        : await wrkAsync(url, {
            connections: scenario.connections,
            seconds: secs,
            headers: scenario.headers,
          });
    return { ...r, connections: tcpActiveOpens() - opensBefore };
  });
}

const options = { keepAliveMs: KEEP_ALIVE_MS, maxFiles };
const results = {};
let sameBytes = 'not checked (no throughput scenario chosen)';
if (SCENARIOS.length > 0) {
  const stacks = [];
  for (const c of CONTENDERS) stacks.push(await c.start(options));
  try {
    const { differences } = await compareAnswers(stacks, REFERENCE, UPLOAD_BYTES);
    if (differences.length > 0)
      throw new Error(`the contenders answer differently:\n${differences.join('\n')}`);
    sameBytes =
      'checked before the run, every contender answered the same status, body bytes and headers as the reference on all three routes';
    log(`same answers: ${stacks.map((s) => s.name).join(', ')}`);
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of SCENARIOS) {
        for (const stack of stacks) {
          await measure(stack, scenario, 1); // warm-up: connections, JIT, upstream pools
          const r = await measure(stack, scenario, seconds);
          results[scenario.id] ??= {};
          results[scenario.id][stack.name] ??= [];
          results[scenario.id][stack.name].push(r);
          const errs = errorText([r]);
          log(
            `round ${round} ${scenario.id} ${stack.name}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, CPU ${fmt(r.cpuUs, 1)} µs/req, RSS ${fmt(r.rss)} MiB${errs === '0' ? '' : `, errors: ${errs}`}`,
          );
        }
      }
    }
  } finally {
    for (const s of stacks) await s.stop();
  }
}

let tlsChecked = 'not checked (no HTTPS scenario chosen)';
if (TLS_SCENARIOS.length > 0) {
  const certificates = await makeBenchCertificates();
  const stacks = [];
  try {
    const tls = { fullchain: certificates.fullchain, key: certificates.key, http2: true };
    for (const c of TLS_CONTENDERS) stacks.push(await c.start({ ...options, tls }));
    for (const stack of stacks) await checkHello(stack.url, certificates.ca);
    tlsChecked = `checked before the run: each contender answered \`GET /hello\` with 200 and \`Hello, World!\` over HTTPS, its certificate verified against the run's CA`;
    log(`HTTPS answers: ${stacks.map((s) => s.name).join(', ')}`);
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of TLS_SCENARIOS) {
        for (const stack of stacks) {
          await measureTls(stack, scenario, 1);
          const r = await measureTls(stack, scenario, seconds);
          results[scenario.id] ??= {};
          results[scenario.id][stack.name] ??= [];
          results[scenario.id][stack.name].push(r);
          const errs = errorText([r]);
          const opened = scenario.headers?.includes('Connection: close')
            ? `, ${fmt(r.connections / r.requests, 2)} connections/req`
            : '';
          const via = r.protocol ? `, ${r.protocol}` : '';
          log(
            `round ${round} ${scenario.id} ${stack.name}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, CPU ${fmt(r.cpuUs, 1)} µs/req, RSS ${fmt(r.rss)} MiB${opened}${via}${errs === '0' ? '' : `, errors: ${errs}`}`,
          );
        }
      }
    }
  } finally {
    for (const s of stacks) await s.stop();
    certificates.remove();
  }
}

const memory = {};
if (chosen.has('e')) {
  for (let round = 1; round <= rounds; round++) {
    for (const c of CONTENDERS) {
      const stack = await c.start(options);
      try {
        await wrkAsync(`${stack.url}/hello`, { connections: 8, seconds: 1 }); // served some requests first
        await sleep(1000);
        const frontBefore = stack.frontRss();
        const totalBefore = stack.rss();
        const { sockets, failed } = await openIdleConnections(portOf(stack), {
          count: idleCount,
          path: '/hello',
          bodyEnd: 'Hello, World!',
        });
        await sleep(2000);
        const frontAfter = stack.frontRss();
        const totalAfter = stack.rss();
        const stillOpen = closeAll(sockets);
        const row = { held: stillOpen, failed, frontBefore, frontAfter, totalBefore, totalAfter };
        memory[c.name] ??= [];
        memory[c.name].push(row);
        log(
          `round ${round} e ${c.name}: ${stillOpen} idle connections (${failed} failed), front ${fmt(frontBefore)} → ${fmt(frontAfter)} MiB, all ${fmt(totalBefore)} → ${fmt(totalAfter)} MiB`,
        );
      } finally {
        await stack.stop();
      }
      await sleep(500);
    }
  }
}

function portOf(stack) {
  return Number(new URL(stack.url).port);
}

// Medians of the rounds, errors summed.
const throughput = SCENARIOS.map((scenario) => ({
  scenario,
  rows: CONTENDERS.map(({ name }) => {
    const runs = results[scenario.id]?.[name] ?? [];
    const m = (key) => median(runs.map((r) => r[key]));
    const errors = errorText(runs);
    return {
      name,
      rps: m('rps'),
      p50: m('p50'),
      p99: m('p99'),
      cpuUs: m('cpuUs'),
      rss: m('rss'),
      errors,
      runs,
    };
  }),
}));
const tlsThroughput = TLS_SCENARIOS.map((scenario) => ({
  scenario,
  rows: TLS_CONTENDERS.map(({ name }) => {
    const runs = results[scenario.id]?.[name] ?? [];
    const m = (key) => median(runs.map((r) => r[key]));
    return {
      name,
      rps: m('rps'),
      p50: m('p50'),
      p99: m('p99'),
      cpuUs: m('cpuUs'),
      rss: m('rss'),
      connectionsPerRequest: median(runs.map((r) => r.connections / r.requests)),
      errors: errorText(runs),
      runs,
    };
  }),
}));
const memoryRows = Object.entries(memory).map(([name, runs]) => {
  const m = (key) => median(runs.map((r) => r[key]));
  return {
    name,
    held: m('held'),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    frontBefore: m('frontBefore'),
    frontAfter: m('frontAfter'),
    totalBefore: m('totalBefore'),
    totalAfter: m('totalAfter'),
  };
});

const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
  .stderr.trim()
  .replace('nginx version: nginx/', '');
const h2loadVersion =
  TLS_SCENARIOS.length > 0
    ? (/nghttp2\/(\S+)/.exec(spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ??
      '?')
    : undefined;
const wrkVersion = /wrk (\S+)/.exec(spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
const fastifyVersion = JSON.parse(
  readFileSync(new URL('../node_modules/fastify/package.json', import.meta.url), 'utf8'),
).version;
const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const command =
  process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
    : `node bench/compare.mjs ${argv.join(' ')}`.trim();
const minutes = ((Date.now() - started) / 60_000).toFixed(1);

const sections = throughput.map(
  ({ scenario, rows }) =>
    `### ${scenario.title}\n\n\`wrk -t1 -c${scenario.connections} -d${seconds}s${scenario.script ? ' -s bench/upload.lua' : ''} --latency\`\n\n${throughputTable(rows, REFERENCE)}`,
);
for (const { scenario, rows } of tlsThroughput) {
  const total = Math.round((scenario.connectionsPerSecond ?? 0) * seconds);
  const tool = scenario.connectionsPerSecond
    ? `h2load -t1 -H 'Connection: close' --h1 -r${Math.round(scenario.connectionsPerSecond / 10)} --rate-period 100ms -c${total} -n${total}`
    : scenario.load === 'h2load'
      ? `h2load -t1 -c${scenario.clients} -m${scenario.streams} -D${seconds}`
      : `wrk -t1 -c${scenario.connections} -d${seconds}s${(scenario.headers ?? []).map((h) => ` -H '${h}'`).join('')} --latency`;
  const note = scenario.connectionsPerSecond
    ? `\n\nh2load starts a new client every ${fmt(1000 / scenario.connectionsPerSecond, 0)} ms on average (${Math.round(scenario.connectionsPerSecond / 10)} every 100 ms), each with a TLS session of its own making one request: every handshake is a **full** one (certificate and ECDSA signature; none resumed, checked once against nginx's \`$ssl_session_reused\`). The rate is fixed, so req/s only says whether a contender kept up; **CPU µs/req is the cost of a full handshake** plus one request. TCP connections opened per request: ${rows.map((r) => `${r.name} ${fmt(r.connectionsPerRequest, 2)}`).join(', ')}.`
    : scenario.load === 'h2load'
      ? '\n\nh2load reports no percentiles (p50, p99: –). Requests a contender served over another protocol than h2 (h2load falls back to HTTP/1.1 when the server does not choose h2 by ALPN) are not counted: they show as errors `not h2`.'
      : scenario.headers
        ? `\n\nTCP connections opened per request (the machine's ActiveOpens over the measurement, so other programs on the box can only add to it): ${rows.map((r) => `${r.name} ${fmt(r.connectionsPerRequest, 2)}`).join(', ')}.`
        : '';
  sections.push(`### ${scenario.title}\n\n\`${tool}\`${note}\n\n${throughputTable(rows, REFERENCE)}`);
}
if (memoryRows.length > 0) {
  const fronts = Object.fromEntries(CONTENDERS.map((c) => [c.name, c.front]));
  const failed = memoryRows.reduce((sum, r) => sum + r.failed, 0);
  sections.push(
    `### (e) ${fmt(idleCount)} idle keep-alive connections\n\nEach connection sends one \`GET /hello\`, reads the answer and stays open; RSS is read 2 s after the last one opened, "before" after a 1 s warm-up run. "held" is how many were still open when the figures were read${failed ? ` (${failed} failed to open over all rounds)` : ''}.\n\n${memoryTable(memoryRows, REFERENCE, fronts)}`,
  );
}
const tables = sections.join('\n\n');
const order = CONTENDERS.map((c) => c.name).join(', ');
console.log(`\n${tables}\n`);

const doc = `# Benchmark: Tandem against nginx → node:http, Fastify and node:http

<!-- Generated by bench/compare.mjs (npm run bench); do not edit by hand, run it again. -->

![req/s per scenario and contender](bench.svg)

Measured ${date} with \`${command}\` (${minutes} min).

- **Machine**: ${cpus().length} cores (${cpuModel}), Node ${process.version}, nginx ${nginxVersion}, Fastify ${fastifyVersion}, wrk ${wrkVersion}${h2loadVersion ? `, h2load ${h2loadVersion}` : ''}; everything on loopback (127.0.0.1), open files limit ${maxFiles}.
- **Contenders**: ${TANDEM.map((name) => `**${name}**`).join(' and ')} — \`httpserver --engine ENGINE\` (HTTP/1.1 front, default event model, 2 pool connections) → frame protocol → \`webframe bench/app\`, one pair of processes per engine: \`llhttp\` is Tandem's own HTTP/1.1 engine on raw sockets driving Node's llhttp parser (the default), \`node\` is node:http; **nginx → node:http** (the reference of every ratio) — nginx with \`worker_processes 1\` (the box has 2 cores and wrk needs one) and a keep-alive upstream (\`keepalive 64\`, \`proxy_http_version 1.1\`, \`proxy_set_header Connection ""\`) in front of [bench/contenders/node-http.mjs](../bench/contenders/node-http.mjs); **Fastify** — [bench/contenders/fastify.mjs](../bench/contenders/fastify.mjs), no logger, no schema; **node:http** — the same node-http.mjs alone, the limit of one JS process.
- **Same work for all**: \`/hello\` answers \`Hello, World!\` as \`text/plain; charset=utf-8\`; \`/json\` serializes the same ~2 KB object ([payload.json](../bench/contenders/payload.json)) on every request; \`POST /upload\` reads the whole body and answers its length. Every answer carries \`content-length\`, \`connection: keep-alive\` and \`keep-alive: timeout=60\` (a 60 s idle timeout everywhere), and no \`Server\` header (nginx's is cleared with Debian's headers-more module). Same answers: ${sameBytes}. Tandem writes its access log on both engines (to /dev/null here) and so does nginx (\`access_log /dev/null combined buffer=64k\`); the Node contenders log nothing.
- **Method**: wrk with **one thread** (\`-t1\`) so that it leaves a core to the servers; ${CONNECTIONS} keep-alive connections unless said otherwise. All contenders run at once and are measured in alternation (${order}, then again) for ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s per measurement, each after a 1 s warm-up; the figures are **medians of the rounds** (errors are summed). RSS is the peak, sampled every 250 ms, of the sum over the contender's processes: httpserver and webframe for each Tandem engine, nginx (master and worker) and node for the reference. "vs ref" divides by the reference's figure: above 1× is better for req/s, worse for latency and memory. "errors" counts non-2xx answers and wrk's socket errors by kind (connect, read, write, and timeout: no answer within wrk's 2 s).
- **HTTPS (f, g, h, i)**: only ${TANDEM.map((name) => `**${name}**`).join(' and ')} and **nginx → node:http**, each terminating TLS itself with the same certificate and key, made for the run ([bench/tls-certificates.mjs](../bench/tls-certificates.mjs)): a CA and an ECDSA P-256 leaf for 127.0.0.1 and localhost, the chain (leaf, CA) served. httpserver gets \`"tls": { "certificates": [{ "cert", "key" }] }\` in its config (HTTP/2 by ALPN on, its default); nginx \`listen … ssl http2\` (Debian's nginx ${nginxVersion} predates \`http2 on\`), \`ssl_protocols TLSv1.2 TLSv1.3\`, its default ciphers, session tickets on and no session cache (its defaults), the same upstream as above. One listener per contender serves all four scenarios, measured in alternation like the others. wrk offers no ALPN, so (f) and (h) are HTTP/1.1 for everyone; wrk and h2load negotiate TLS 1.3 with an X25519 key exchange. In (h) every request says \`Connection: close\`, so each answer ends its connection and wrk opens a new one; wrk keeps the TLS session of each of its connections, so past the first ones every handshake is a **TLS 1.3 resumption** by session ticket (PSK with an X25519 exchange, no certificate or signature), which every contender offers by default: (h) measures resumed handshakes, the kind returning clients make; (i) the full ones, at a fixed rate. Same answers: ${tlsChecked}.
- **Listen backlog**: every server keeps its default of 511 (Node's and nginx's). In (d) wrk opens 1,000 connections at once, more than the backlog holds, so the kernel drops some SYNs and the client resends them after 1 s (then 2 s): a p99 near or above 1 s and wrk timeouts in (d) come from opening the connections, not from serving them. Behind nginx the node:http upstream meets the same burst, as nginx opens an upstream connection per request in flight beyond its 64 idle ones.

## Goals

${goalsTable([...throughput, ...tlsThroughput], memoryRows, REFERENCE, TANDEM)}

## Figures

${tables}

${readFileSync(new URL('./findings.md', import.meta.url), 'utf8').trim()}
`;
writeFileSync(new URL('../docs/bench.md', import.meta.url), doc);
const panels = [...throughput, ...tlsThroughput];
if (panels.length > 0) {
  const svg = barChartSvg(
    panels.map(({ scenario, rows }) => ({ title: scenario.title, rows })),
    {
      title: 'Requests per second (higher is better)',
      caption: `median of ${rounds} × ${seconds} s, wrk -t1${chosen.has('g') ? ', h2load -t1' : ''}, ${cpus().length} cores, Node ${process.version}, nginx ${nginxVersion}, ${date}; each panel has its own scale`,
    },
  );
  writeFileSync(new URL('../docs/bench.svg', import.meta.url), svg);
}
log(`wrote docs/bench.md${panels.length > 0 ? ' and docs/bench.svg' : ''} (${minutes} min)`);
