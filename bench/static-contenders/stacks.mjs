// The contenders of bench/static-compare.mjs, each serving the same folder on loopback: Tandem (`tandem
// static`, once per HTTP engine), the bare node:http handler, nginx and sirv. Each is { name, url, procs, cpu(),
// rss(), stop() }.
import { spawn } from 'node:child_process';
import { HTTP_ENGINES } from '../../dist/http/http-engine.js';
import { CLI, cpuSeconds, rssMiB, startListening, tandemName } from '../lib.mjs';
import { startStaticNginx } from './nginx-static.mjs';

const NODE_STATIC = new URL('./node-static.mjs', import.meta.url).pathname;
const SIRV = new URL('./sirv-server.mjs', import.meta.url).pathname;

/** The names of the contenders that are not Tandem. */
export const NAMES = { node: 'node:http', nginx: 'nginx', sirv: 'sirv' };

/** The names of the Tandem contenders, one per HTTP engine (`tandem llhttp`, `tandem node`). */
export const TANDEM = HTTP_ENGINES.map(tandemName);

function stopProc(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  proc.kill('SIGTERM');
  return new Promise((resolve) => proc.once('exit', resolve));
}

function stack(name, port, procs, stop) {
  return {
    name,
    url: `http://127.0.0.1:${port}`,
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
      if (m) resolve(stack(tandemName(engine), Number(m[1]), [proc], () => stopProc(proc)));
    });
    proc.on('exit', (code) => reject(new Error(`tandem static exited ${code}: ${err}`)));
  });
}

async function startNodeScript(name, file, root) {
  const { proc, port } = await startListening(process.execPath, [file, '--root', root, '--port', '0']);
  return stack(name, port, [proc], () => stopProc(proc));
}

async function startNginx(root) {
  const nginx = await startStaticNginx(root);
  const s = stack(NAMES.nginx, nginx.port, [nginx.proc], nginx.stop);
  return { ...s, conf: nginx.conf };
}

/** The contenders, in the order they are measured and shown: each `start(root)` resolves with a running stack. */
export const CONTENDERS = [
  ...HTTP_ENGINES.map((engine) => ({
    name: tandemName(engine),
    start: (root) => startTandemStatic(engine, root),
  })),
  { name: NAMES.node, start: (root) => startNodeScript(NAMES.node, NODE_STATIC, root) },
  { name: NAMES.nginx, start: startNginx },
  { name: NAMES.sirv, start: (root) => startNodeScript(NAMES.sirv, SIRV, root) },
];
