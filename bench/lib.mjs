// Shared helpers of the bench/ scripts: start Tandem processes, run wrk, take medians.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** Makes sure wrk is installed (from Debian's packages when running as root). */
export function ensureWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    if (err.code !== 'ENOENT' && err.status !== 1) throw err;
    if (err.code === 'ENOENT') {
      console.error('installing wrk from Debian packages…');
      execFileSync(
        'sh',
        ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk'],
        {
          stdio: 'inherit',
        },
      );
    }
  }
}

/** Starts `tandem ARGS` and resolves with { proc, port } once it logs that it listens. */
export function startTandem(args) {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (?:http:\/\/)?[^\s,]*:(\d+)/.exec(err);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`tandem ${args.join(' ')} exited ${code}: ${err}`)));
  });
}

/** Resident set size of a process and its children, in MiB. */
export function rssMiB(pid) {
  let total = 0;
  const read = (p) => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    total += m ? Number(m[1]) / 1024 : 0;
    const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
    for (const c of children ? children.split(' ') : []) read(c);
  };
  read(pid);
  return total;
}

/** Runs wrk and returns { rps, p50, p99 } (latencies in ms). */
export function wrk(url, { connections = 8, seconds = 5, threads = 1 } = {}) {
  const out = execFileSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    encoding: 'utf8',
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const ms = (label) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  return { rps, p50: ms('50'), p99: ms('99'), errors: Number(errors ?? 0) };
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
