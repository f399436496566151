// Shared helpers of the bench/ scripts: install tools, start servers, run wrk, measure RSS, take medians.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

/**
 * Makes sure each `[file, debianPackage]` is present: `file` is a command name looked up on PATH (plus sbin
 * folders) or an absolute path. Missing ones are installed with apt-get when running as root; otherwise throws
 * an error that names the packages to install.
 */
export function ensureDebianPackages(wanted) {
  const missing = wanted.filter(([file]) => !hasFile(file)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(', ')}: run as root or \`apt-get install ${missing.join(' ')}\``);
  }
  console.error(`installing ${missing.join(', ')} from Debian packages…`);
  execFileSync(
    'sh',
    [
      '-c',
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`,
    ],
    { stdio: 'inherit' },
  );
}

function hasFile(file) {
  if (file.startsWith('/')) return existsSync(file);
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/local/sbin`;
  return path.split(':').some((dir) => dir !== '' && existsSync(`${dir}/${file}`));
}

/** Makes sure wrk is installed (from Debian's packages when running as root). */
export function ensureWrk() {
  ensureDebianPackages([['wrk', 'wrk']]);
}

/**
 * Starts `command ARGS` and resolves with { proc, port } once its stderr says `listening on [http://]HOST:PORT`
 * (Tandem's JSON log line and the bench contenders both do). stdout (Tandem's access log) goes to /dev/null.
 */
export function startListening(command, args, options = {}) {
  const proc = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (?:http:\/\/)?[^\s,]*:(\d+)/.exec(err);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err}`)));
  });
}

/**
 * The name of the Tandem contender on HTTP engine `engine` (one of serveHttp's HTTP_ENGINES), the same in every
 * bench: `tandem llhttp`, `tandem node`.
 */
export function tandemName(engine) {
  return `tandem ${engine}`;
}

/** Starts `tandem ARGS` and resolves with { proc, port } once it logs that it listens. */
export function startTandem(args) {
  return startListening(process.execPath, [CLI, ...args]);
}

/**
 * Reads /proc/`p`/`file`; for a child (`p` is not `top`) that exited since its parent listed it, undefined.
 * The contender itself gone is an error that names it.
 */
function readProc(p, top, file) {
  try {
    return readFileSync(`/proc/${p}/${file}`, 'utf8');
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    if (String(p) === String(top)) throw new Error(`process ${top} exited during the measurement`);
    return undefined;
  }
}

/** Resident set size of a process and its children, in MiB. */
export function rssMiB(pid) {
  let total = 0;
  const read = (p) => {
    const status = readProc(p, pid, 'status');
    if (status === undefined) return;
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    total += m ? Number(m[1]) / 1024 : 0;
    const children = readProc(p, pid, `task/${p}/children`)?.trim();
    for (const c of children ? children.split(' ') : []) read(c);
  };
  read(pid);
  return total;
}

/** CPU time in seconds (user + system) used so far by `pid` and its descendants that are still running. */
export function cpuSeconds(pid) {
  let ticks = 0;
  const read = (p) => {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readProc(p, pid, 'stat');
    if (stat === undefined) return;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
    const children = readProc(p, pid, `task/${p}/children`)?.trim();
    for (const c of children ? children.split(' ') : []) read(c);
  };
  read(pid);
  return ticks / CLOCK_TICKS;
}

/** Linux's USER_HZ, the unit of /proc/PID/stat times. */
const CLOCK_TICKS = 100;

function wrkArgs(url, { connections = 8, seconds = 5, threads = 1, script, timeout, headers = [] } = {}) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const h of headers) args.push('-H', h);
  if (script) args.push('-s', script);
  if (timeout) args.push('--timeout', `${timeout}s`);
  return [...args, url];
}

/**
 * Parses wrk's report into { rps, p50, p99, errors, socketErrors, socket } (latencies in ms; `errors` counts
 * non-2xx/3xx answers, `socketErrors` wrk's connect, read, write and timeout errors, `socket` each kind).
 */
export function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const ms = (label) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const [connect, read, write, timeout] = socket ? socket.slice(1).map(Number) : [0, 0, 0, 0];
  const socketErrors = connect + read + write + timeout;
  return {
    rps,
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    p50: ms('50'),
    p99: ms('99'),
    errors: Number(errors ?? 0),
    socketErrors,
    socket: { connect, read, write, timeout },
  };
}

/** Runs wrk and returns what `parseWrk` makes of its report (latencies in ms). */
export function wrk(url, options = {}) {
  return parseWrk(execFileSync('wrk', wrkArgs(url, options), { encoding: 'utf8' }));
}

/**
 * Runs `command` without blocking the event loop (so RSS can be sampled meanwhile) and resolves with its
 * stdout; rejects with its stderr and stdout when it exits with another status than 0.
 */
export function runCaptured(command, args) {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.trim()}${out}`)),
    );
  });
}

/**
 * Runs wrk without blocking the event loop; options as for `wrk` plus `script` (a Lua file), `timeout`
 * (seconds) and `headers` (lines such as `Connection: close`, each sent as `-H`). Resolves with what `wrk` returns.
 */
export async function wrkAsync(url, options = {}) {
  return parseWrk(await runCaptured('wrk', wrkArgs(url, options)));
}

/**
 * One measurement of `stack` (see bench/stacks.mjs): runs `load()` (wrk, resolving with parseWrk's figures)
 * while sampling the stack's RSS every 250 ms; resolves with those figures plus `cpuUs`, the CPU time of the
 * stack's processes per request (steadier than req/s on a shared box: it does not depend on who else runs),
 * and `rss`, the peak.
 */
export async function measureStack(stack, load) {
  let peak = stack.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, stack.rss());
  }, 250);
  try {
    const cpuBefore = stack.cpu();
    const r = await load();
    const cpuUs = r.requests > 0 ? ((stack.cpu() - cpuBefore) * 1e6) / r.requests : Number.NaN;
    return { ...r, cpuUs, rss: Math.max(peak, stack.rss()) };
  } finally {
    clearInterval(timer);
  }
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Parses h2load's report into the figures `parseWrk` gives: { rps, requests, p50, p99, errors, socketErrors,
 * socket, protocol }. h2load prints no percentiles, so p50 and p99 are NaN. `errors` counts answers other than
 * 2xx; `socket` h2load's failed, errored and timed-out requests. Requests served over another protocol than
 * `wantProtocol` (h2load falls back to HTTP/1.1, pipelined, when the server does not choose h2 by ALPN) do not
 * count: rps and requests are 0 and `socket['not ' + wantProtocol]` holds them.
 */
export function parseH2load(out, wantProtocol = 'h2') {
  const num = (re) => Number(re.exec(out)?.[1] ?? 0);
  const protocol = /Application protocol: (\S+)/.exec(out)?.[1] ?? 'none';
  const requests = num(/requests: \d+ total, \d+ started, (\d+) done/);
  const succeeded = num(/(\d+) succeeded/);
  const ok2xx = num(/status codes: (\d+) 2xx/);
  const socket = {
    failed: num(/(\d+) failed/),
    errored: num(/(\d+) errored/),
    timeout: num(/(\d+) timeout/),
  };
  const figures = {
    rps: num(/finished in [\d.]+m?s, ([\d.]+) req\/s/),
    requests,
    p50: Number.NaN,
    p99: Number.NaN,
    errors: succeeded - ok2xx,
    protocol,
  };
  if (protocol !== wantProtocol) {
    return {
      ...figures,
      rps: 0,
      requests: 0,
      errors: 0,
      socketErrors: requests,
      socket: { [`not ${wantProtocol}`]: requests },
    };
  }
  return { ...figures, socketErrors: socket.failed + socket.errored + socket.timeout, socket };
}

/**
 * Runs h2load for `seconds` against `url` with `clients` connections of `streams` concurrent streams each
 * (`-c clients -m streams`: `-m` is the most streams in flight per connection, so clients × streams in all),
 * one thread, without blocking the event loop. With `connectionsPerSecond` it runs HTTP/1.1 (`--h1`) at that
 * fixed rate instead: a new client every 1/rate s (`-r`, per 100 ms), each making one request on a connection
 * of its own with a TLS session of its own (no resumption), `seconds` × rate in all; `headers` are sent with
 * each request (`-H`). Resolves with what `parseH2load` makes of its report.
 */
export async function h2loadAsync(
  url,
  { clients = 4, streams = 16, seconds = 5, connectionsPerSecond, headers = [] } = {},
) {
  const args = ['-t1'];
  for (const h of headers) args.push('-H', h);
  if (connectionsPerSecond === undefined) {
    args.push(`-c${clients}`, `-m${streams}`, `-D${seconds}`);
  } else {
    const total = Math.round(connectionsPerSecond * seconds);
    const perPeriod = Math.max(1, Math.round(connectionsPerSecond / 10));
    args.push('--h1', `-r${perPeriod}`, '--rate-period', '100ms', `-c${total}`, `-n${total}`);
  }
  const want = connectionsPerSecond === undefined ? 'h2' : 'http/1.1';
  return parseH2load(await runCaptured('h2load', [...args, url]), want);
}

/** TCP connections this machine has opened as a client so far (ActiveOpens in /proc/net/snmp, all processes). */
export function tcpActiveOpens() {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'));
  const names = lines[0].split(/\s+/);
  return Number(lines[1].split(/\s+/)[names.indexOf('ActiveOpens')]);
}
