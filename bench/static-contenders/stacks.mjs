// The contenders of bench/static-compare.mjs, each serving the same folder on loopback: Tandem once per HTTP
// engine both as `tandem static` and as `tandem httpserver --static`, the bare node:http handler, nginx and sirv.
// Each is { name, url, procs, cpu(), rss(), stop() }; `url` has no trailing slash and ends with the prefix the
// folder is served under, so `${url}/small.css` is the small file for every contender.
import { spawn } from 'node:child_process';
import { HTTP_ENGINES } from '../../dist/http/http-engine.js';
import { CLI, cpuSeconds, rssMiB, startListening } from '../lib.mjs';
import { freePort } from '../nginx.mjs';
import { startStaticNginx } from './nginx-static.mjs';

const NODE_STATIC = new URL('./node-static.mjs', import.meta.url).pathname;
const SIRV = new URL('./sirv-server.mjs', import.meta.url).pathname;

/** The names of the contenders that are not Tandem. */
export const NAMES = { node: 'node:http', nginx: 'nginx', sirv: 'sirv' };

/** The URL path prefix the httpserver contenders serve the folder under (`--static /static/=DIR`). */
const HTTPSERVER_PREFIX = '/static/';

/** The name of `tandem static` on HTTP engine `engine`: `tandem static llhttp`, `tandem static node`. */
const staticName = (engine) => `tandem static ${engine}`;
/** The name of `tandem httpserver --static` on HTTP engine `engine`: `httpserver llhttp`, `httpserver node`. */
const httpserverName = (engine) => `httpserver ${engine}`;

/** The names of the Tandem contenders: `tandem static` per HTTP engine, then `httpserver --static` per engine. */
export const TANDEM = [...HTTP_ENGINES.map(staticName), ...HTTP_ENGINES.map(httpserverName)];

function stopProc(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  proc.kill('SIGTERM');
  return new Promise((resolve) => proc.once('exit', resolve));
}

function stack(name, url, procs, stop) {
  return {
    name,
    url,
    procs,
    cpu: () => procs.reduce((total, p) => total + cpuSeconds(p.pid), 0),
    rss: () => procs.reduce((total, p) => total + rssMiB(p.pid), 0),
    stop,
  };
}

/**
 * `tandem static ROOT --port 0 --engine ENGINE` from the built CLI (dist/), default event model; resolves once
 * its stderr says `Serving … at http://HOST:PORT/`. Its access log (stdout) goes to /dev/null.
 */
function startTandemStatic(engine, root) {
  const proc = spawn(process.execPath, [CLI, 'static', root, '--port', '0', '--engine', engine], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
      const m = / at http:\/\/[^\s/]+:(\d+)\//.exec(err);
      if (m) resolve(stack(staticName(engine), `http://127.0.0.1:${m[1]}`, [proc], () => stopProc(proc)));
    });
    proc.on('exit', (code) => reject(new Error(`tandem static exited ${code}: ${err}`)));
  });
}

/**
 * `tandem httpserver --static /static/=ROOT --engine ENGINE --port 0` from the built CLI, default event model
 * (one process). Every request measured is under the static prefix, so no webframe is started: the one it is
 * told of is a port nobody listens on, and the pool never connects since no request is forwarded.
 */
async function startHttpserverStatic(engine, root) {
  const webframePort = await freePort();
  const { proc, port } = await startListening(process.execPath, [
    CLI,
    'httpserver',
    '--port',
    '0',
    '--webframe',
    `127.0.0.1:${webframePort}`,
    '--engine',
    engine,
    '--static',
    `${HTTPSERVER_PREFIX}=${root}`,
  ]);
  const url = `http://127.0.0.1:${port}${HTTPSERVER_PREFIX.slice(0, -1)}`;
  return stack(httpserverName(engine), url, [proc], () => stopProc(proc));
}

async function startNodeScript(name, file, root) {
  const { proc, port } = await startListening(process.execPath, [file, '--root', root, '--port', '0']);
  return stack(name, `http://127.0.0.1:${port}`, [proc], () => stopProc(proc));
}

async function startNginx(root) {
  const nginx = await startStaticNginx(root);
  const s = stack(NAMES.nginx, `http://127.0.0.1:${nginx.port}`, [nginx.proc], nginx.stop);
  return { ...s, conf: nginx.conf };
}

/** The contenders, in the order they are measured and shown: each `start(root)` resolves with a running stack. */
export const CONTENDERS = [
  ...HTTP_ENGINES.map((engine) => ({
    name: staticName(engine),
    start: (root) => startTandemStatic(engine, root),
  })),
  ...HTTP_ENGINES.map((engine) => ({
    name: httpserverName(engine),
    start: (root) => startHttpserverStatic(engine, root),
  })),
  { name: NAMES.node, start: (root) => startNodeScript(NAMES.node, NODE_STATIC, root) },
  { name: NAMES.nginx, start: startNginx },
  { name: NAMES.sirv, start: (root) => startNodeScript(NAMES.sirv, SIRV, root) },
];
