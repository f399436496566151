// The login storm: N raw control connections opened at once from this process, each logging in (USER, PASS →
// 230), then, once all are in or given up, NOOP (→ 200) and QUIT. Counts who was served.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { sampleTree } from './proc.mjs';

/** The kernel's TcpExt counters of listen queue trouble: { ListenOverflows, ListenDrops, SyncookiesSent }. */
function listenCounters() {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const get = (name) => Number(values[names.indexOf(name)] ?? Number.NaN);
  return {
    ListenOverflows: get('ListenOverflows'),
    ListenDrops: get('ListenDrops'),
    SyncookiesSent: get('SyncookiesSent'),
  };
}

/**
 * One client: resolves with { ok, loggedInAt (ms since `t0`), reason }. `settled()` is called once, when the
 * client is logged in or has failed; logged-in clients wait for `allIn` before NOOP and QUIT, so all sessions
 * are open at the same time.
 */
function client(port, user, t0, allIn, settled, timeoutMs) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = '';
    let step = 'greeting';
    let loggedInAt = Number.NaN;
    let counted = false;
    const count = () => {
      if (!counted) settled();
      counted = true;
    };
    const finish = (ok, reason) => {
      clearTimeout(timer);
      socket.destroy();
      count();
      resolve({ ok, loggedInAt, reason });
    };
    let timer = setTimeout(() => finish(false, `timeout at ${step}`), timeoutMs);
    const expect = {
      greeting: ['220', () => socket.write(`USER ${user.name}\r\n`), 'user'],
      user: ['331', () => socket.write(`PASS ${user.password}\r\n`), 'pass'],
      pass: [
        '230',
        () => {
          loggedInAt = performance.now() - t0;
          // No time limit while waiting for the others (each has its own); a fresh one for NOOP and QUIT.
          clearTimeout(timer);
          count();
          allIn.then(() => {
            timer = setTimeout(() => finish(false, `timeout at ${step}`), timeoutMs);
            socket.write('NOOP\r\n');
          });
        },
        'noop',
      ],
      noop: ['200', () => socket.write('QUIT\r\n'), 'quit'],
      quit: ['221', () => finish(true), 'done'],
    };
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      buffer += d;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i).replace(/\r$/, '');
        buffer = buffer.slice(i + 1);
        // Skip the inner lines of multi-line replies (`NNN-text` … `NNN text`).
        if (!/^\d{3} /.test(line)) continue;
        const [code, then, next] = expect[step] ?? [];
        if (line.slice(0, 3) !== code) return finish(false, `${step}: ${line.slice(0, 60)}`);
        step = next;
        then();
      }
    });
    socket.on('error', (err) => finish(false, `${step}: ${err.code ?? err.message}`));
    socket.on('close', () => {
      if (step !== 'done') finish(false, `${step}: closed`);
    });
  });
}

/**
 * Opens `clients` connections to `server` ({ pid, port }) at once, logs each in as `user` and holds them until
 * all are in (or failed), then NOOP and QUIT. Resolves with { clients, served, failed, reasons, allInMs, rss }:
 * served = got 230, 200 and 221; allInMs = time until the last 230; rss = the server's peak RSS in MiB;
 * kernel = the machine's TcpExt listen-queue counters over the storm (a full accept queue shows there).
 * `timeoutMs` bounds connect-to-230 and then NOOP-to-221 of each client.
 */
export async function loginStorm(server, user, clients, timeoutMs = 60_000) {
  const sampler = sampleTree(server.pid, 100);
  const kernelBefore = listenCounters();
  const t0 = performance.now();
  let release;
  const allIn = new Promise((r) => {
    release = r;
  });
  let settled = 0;
  const onSettled = () => {
    settled++;
    if (settled === clients) release();
  };
  const runs = [];
  for (let i = 0; i < clients; i++) runs.push(client(server.port, user, t0, allIn, onSettled, timeoutMs));
  const results = await Promise.all(runs);
  const peak = sampler.stop().rss;
  const kernelAfter = listenCounters();
  const kernel = Object.fromEntries(Object.entries(kernelAfter).map(([k, v]) => [k, v - kernelBefore[k]]));
  const served = results.filter((r) => r.ok).length;
  const reasons = {};
  for (const r of results.filter((x) => !x.ok)) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  const logins = results.map((r) => r.loggedInAt).filter((t) => !Number.isNaN(t));
  const allInMs = logins.length > 0 ? Math.max(...logins) : Number.NaN;
  return {
    clients,
    served,
    failed: clients - served,
    loggedIn: logins.length,
    reasons,
    allInMs,
    rss: peak,
    kernel,
  };
}
