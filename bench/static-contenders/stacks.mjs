// The contenders of bench/static-compare.mjs, each serving the same folder on loopback: Tandem (`tandem
// static`), the bare node:http handler, nginx and sirv. Each is { name, url, procs, cpu(), rss(), stop() }.
import { spawn } from 'node:child_process';
import { CLI, cpuSeconds, rssMiB, startListening } from '../lib.mjs';
import { startStaticNginx } from './nginx-static.mjs';

const NODE_STATIC = new URL('./node-static.mjs', import.meta.url).pathname;
const SIRV = new URL('./sirv-server.mjs', import.meta.url).pathname;

/** The contender names, in the order they are measured and shown. */
export const NAMES = { tandem: 'Tandem', node: 'node:http', nginx: 'nginx', sirv: 'sirv' };

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
 * `tandem static ROOT --port 0` from the built CLI (dist/), default event model; resolves once its stderr
 * says `Serving … at http://HOST:PORT/`. Its access log (stdout) goes to /dev/null.
 */
function startTandemStatic(root) {
  const proc = spawn(process.execPath, [CLI, 'static', root, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
      const m = / at http:\/\/[^\s/]+:(\d+)\//.exec(err);
      if (m) resolve(stack(NAMES.tandem, Number(m[1]), [proc], () => stopProc(proc)));
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

/** The contenders: each `start(root)` resolves with a running stack serving `root`. */
export const CONTENDERS = [
  { name: NAMES.tandem, start: startTandemStatic },
  { name: NAMES.node, start: (root) => startNodeScript(NAMES.node, NODE_STATIC, root) },
  { name: NAMES.nginx, start: startNginx },
  { name: NAMES.sirv, start: (root) => startNodeScript(NAMES.sirv, SIRV, root) },
];
