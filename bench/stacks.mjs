// The contenders of bench/compare.mjs, each started on loopback with the same routes, bytes and keep-alive
// timeout: Tandem (httpserver → webframe) once per HTTP engine, nginx → node:http, Fastify, node:http alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP_ENGINES } from '../dist/http/http-engine.js';
import { cpuSeconds, rssMiB, startListening, startTandem, tandemName } from './lib.mjs';
import { startNginx } from './nginx.mjs';

const NODE_HTTP = new URL('./contenders/node-http.mjs', import.meta.url).pathname;
const FASTIFY = new URL('./contenders/fastify.mjs', import.meta.url).pathname;
const APP = new URL('./app', import.meta.url).pathname;

/** The reference every ratio is taken against. */
export const REFERENCE = 'nginx→node:http';

function stopProc(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  proc.kill('SIGTERM');
  return new Promise((resolve) => proc.once('exit', resolve));
}

/**
 * A running contender: `url` (no trailing slash), `front` (the process clients talk to) and `procs` (all of
 * its processes), `rss()` (MiB, every process and their children), `frontRss()`, `cpu()` (CPU seconds used so
 * far by all of them) and `stop()`.
 */
function stack(name, url, front, procs, stop) {
  const sum = (list) => list.reduce((total, p) => total + rssMiB(p.pid), 0);
  const cpu = () => procs.reduce((total, p) => total + cpuSeconds(p.pid), 0);
  return { name, url, front, procs, rss: () => sum(procs), frontRss: () => sum([front]), cpu, stop };
}

/**
 * httpserver `--engine ENGINE` → webframe, a pair of processes of its own; with `tls` ({ fullchain, key, http2
 * }) httpserver listens HTTPS with that certificate (HTTP/2 by ALPN unless `http2` is false).
 */
async function startTandemStack(engine, { keepAliveMs, tls }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tandem-'));
  const config = join(dir, 'httpserver.json');
  const settings = { timeouts: { keepAlive: keepAliveMs } };
  if (tls) {
    settings.tls = { certificates: [{ cert: tls.fullchain, key: tls.key }], http2: tls.http2 };
  }
  writeFileSync(config, JSON.stringify(settings));
  const webframe = await startTandem(['webframe', APP, '--port', '0']);
  const front = await startTandem([
    'httpserver',
    '--config',
    config,
    '--port',
    '0',
    '--webframe',
    `127.0.0.1:${webframe.port}`,
    '--engine',
    engine,
  ]);
  return stack(
    tandemName(engine),
    `${tls ? 'https' : 'http'}://127.0.0.1:${front.port}`,
    front.proc,
    [front.proc, webframe.proc],
    async () => {
      await stopProc(front.proc);
      await stopProc(webframe.proc);
      rmSync(dir, { recursive: true });
    },
  );
}

function startNode(file, keepAliveMs) {
  return startListening(process.execPath, [file, '--port', '0', '--keep-alive', String(keepAliveMs)]);
}

async function startNginxStack({ keepAliveMs, maxFiles, tls }) {
  const node = await startNode(NODE_HTTP, keepAliveMs);
  const nginx = await startNginx({
    upstreamPort: node.port,
    keepAliveSeconds: Math.round(keepAliveMs / 1000),
    maxFiles,
    tls: tls && { cert: tls.fullchain, key: tls.key, http2: tls.http2 },
  });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${nginx.port}`;
  return stack(REFERENCE, url, nginx.proc, [nginx.proc, node.proc], async () => {
    await nginx.stop();
    await stopProc(node.proc);
  });
}

async function startAlone(name, file, { keepAliveMs }) {
  const { proc, port } = await startNode(file, keepAliveMs);
  return stack(name, `http://127.0.0.1:${port}`, proc, [proc], () => stopProc(proc));
}

/** The names of the Tandem contenders, one per HTTP engine (`tandem llhttp`, `tandem node`). */
export const TANDEM = HTTP_ENGINES.map(tandemName);

/**
 * The contenders in the order they are measured in each round: `start(options)` resolves with a stack,
 * `front` names the process clients talk to (for the memory table).
 */
export const CONTENDERS = [
  ...HTTP_ENGINES.map((engine) => ({
    name: tandemName(engine),
    front: 'httpserver',
    start: (o) => startTandemStack(engine, o),
  })),
  { name: REFERENCE, front: 'nginx (master + worker)', start: startNginxStack },
  { name: 'Fastify', front: 'node', start: (o) => startAlone('Fastify', FASTIFY, o) },
  { name: 'node:http', front: 'node', start: (o) => startAlone('node:http', NODE_HTTP, o) },
];

/**
 * The contenders of the HTTPS scenarios (f, g, h), measured in this order: Tandem on each HTTP engine and
 * nginx → node:http, each terminating TLS with the certificate of `options.tls` ({ fullchain, key, http2 }).
 */
export const TLS_CONTENDERS = [
  ...HTTP_ENGINES.map((engine) => ({
    name: tandemName(engine),
    front: 'httpserver',
    start: (o) => startTandemStack(engine, o),
  })),
  { name: REFERENCE, front: 'nginx (master + worker)', start: startNginxStack },
];
