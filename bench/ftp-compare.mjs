#!/usr/bin/env node
// `npm run bench:ftp`: Tandem's FTP server (`tandem ftpd`) against vsftpd from Debian's packages, on loopback,
// with curl as the client of both: a RETR and a STOR of one large file (1 GiB by default) and a login storm
// (300 clients connecting and logging in at once). Servers are measured in alternation, round after round;
// prints medians and writes docs/bench-ftp.md and docs/bench-ftp.svg.
// Usage: npm run bench:ftp [-- --rounds 3 --size 1024 --clients 300]   (size in MiB)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { curlTransfer } from './ftp/curl-transfer.mjs';
import { BENCH_ROOT, ensureDataFile, sha256File } from './ftp/data-file.mjs';
import { loginStorm } from './ftp/login-storm.mjs';
import { ftpChartSvg, ftpGoals, RSS_LIMIT_MIB, stormTable, transferTable } from './ftp/report.mjs';
import { ensureBenchUser, startTandemFtpd, startVsftpd } from './ftp/servers.mjs';
import { CLI, ensureDebianPackages, median } from './lib.mjs';
import { fmt } from './report.mjs';

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '1024' },
    clients: { type: 'string', default: '300' },
  },
});
const rounds = Number(values.rounds);
const sizeMiB = Number(values.size);
const clients = Number(values.clients);
const STORM_TIMEOUT_MS = 30_000;
const sizeText = sizeMiB % 1024 === 0 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`;

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
ensureDebianPackages([
  ['vsftpd', 'vsftpd'],
  ['curl', 'curl'],
]);

const log = (line) => console.error(line);
const started = Date.now();
const data = await ensureDataFile(sizeMiB);
const user = ensureBenchUser(BENCH_ROOT);
const servers = [];
const transfers = {};
const storms = {};
let vsftpdConf = '';
let tandemConfig = {};

/** Checks a STORed file: its size every time, its sha256 when `hash` (once per server and run); then deletes it. */
async function checkStored(path, hash) {
  const size = statSync(path).size;
  if (size !== data.size) throw new Error(`${path} has ${size} bytes after STOR, expected ${data.size}`);
  if (hash) {
    const sum = await sha256File(path);
    if (sum !== data.sha256) throw new Error(`${path}: sha256 ${sum} after STOR, expected ${data.sha256}`);
  }
  rmSync(path);
}

try {
  servers.push(await startTandemFtpd({ root: BENCH_ROOT, user, clients: clients + 20 }));
  servers.push(await startVsftpd({ clients: clients + 20 }));
  tandemConfig = servers[0].config;
  vsftpdConf = servers[1].conf;
  // Warm-up (JIT, page cache) and the first check of the bytes: one RETR from each.
  for (const s of servers) {
    const r = await curlTransfer(s, user, 'RETR', data.name);
    if (r.bytes !== data.size)
      throw new Error(`${s.name}: RETR gave ${r.bytes} bytes, expected ${data.size}`);
    log(`warm-up ${s.name}: RETR ${fmt(r.mibps)} MiB/s`);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const s of servers) {
      const retr = await curlTransfer(s, user, 'RETR', data.name);
      if (retr.bytes !== data.size || retr.status !== 226)
        throw new Error(`${s.name}: RETR gave ${retr.bytes} bytes, status ${retr.status}`);
      const remote = `upload/${s.name}-${round}.bin`;
      const stor = await curlTransfer(s, user, 'STOR', remote, data.path);
      if (stor.bytes !== data.size || stor.status !== 226)
        throw new Error(`${s.name}: STOR sent ${stor.bytes} bytes, status ${stor.status}`);
      await checkStored(join(BENCH_ROOT, remote), round === 1);
      transfers[s.name] ??= [];
      transfers[s.name].push({ retr, stor });
      log(
        `round ${round} ${s.name}: RETR ${fmt(retr.mibps)} MiB/s (CPU ${fmt(retr.cpu, 2)} s, RSS ${fmt(retr.rss, 1)} MiB), STOR ${fmt(stor.mibps)} MiB/s (CPU ${fmt(stor.cpu, 2)} s, RSS ${fmt(stor.rss, 1)} MiB)`,
      );
    }
  }
  // The storms after all transfers, so that the memory of 300 sessions does not count against the transfers.
  for (let round = 1; round <= rounds; round++) {
    for (const s of servers) {
      const storm = await loginStorm(s, user, clients, STORM_TIMEOUT_MS);
      storms[s.name] ??= [];
      storms[s.name].push(storm);
      const failures = Object.entries(storm.reasons)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      log(
        `round ${round} ${s.name}: login storm ${storm.served}/${clients} served, all in after ${fmt(storm.allInMs / 1000, 2)} s, RSS ${fmt(storm.rss, 1)} MiB${failures ? `, failed: ${failures}` : ''}`,
      );
    }
  }
} finally {
  for (const s of servers) await s.stop();
  user.remove();
}

const medianOf = (runs, key) => ({
  mibps: median(runs.map((r) => r[key].mibps)),
  seconds: median(runs.map((r) => r[key].seconds)),
  cpu: median(runs.map((r) => r[key].cpu)),
  rss: median(runs.map((r) => r[key].rss)),
});
const rows = servers.map(({ name }) => {
  const runs = transfers[name] ?? [];
  return {
    name,
    retr: medianOf(runs, 'retr'),
    stor: medianOf(runs, 'stor'),
    rssMax: Math.max(...runs.flatMap((r) => [r.retr.rss, r.stor.rss])),
  };
});
const stormRows = servers.map(({ name }) => ({ name, storms: storms[name] ?? [] }));
const goals = ftpGoals(rows, stormRows, clients, sizeText);
const tables = `### ${sizeText} RETR and STOR\n\n${transferTable(rows)}\n\n### ${clients} clients log in at once\n\n${stormTable(stormRows, median)}`;
console.log(`\n${tables}\n\n${goals.table}\n`);

/** The first group of `re` in what `cmd args` prints (stdout and stderr), or `?`. */
function version(cmd, args, re) {
  const run = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${run.stdout}${run.stderr}`)?.[1] ?? '?';
}
const vsftpdVersion = execFileSync('dpkg-query', ['-W', 'vsftpd'], { encoding: 'utf8' })
  .trim()
  .split(/\s+/)[1];
const curlVersion = version('curl', ['--version'], /^curl (\S+)/);
const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const command =
  process.env.npm_lifecycle_event === 'bench:ftp'
    ? `npm run bench:ftp${argv.length ? ` -- ${argv.join(' ')}` : ''}`
    : `node bench/ftp-compare.mjs ${argv.join(' ')}`.trim();
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const findingsFile = new URL('./ftp/findings.md', import.meta.url);
const findings = existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8').trim() : '';

const doc = `# Benchmark: FTP — Tandem against vsftpd

<!-- Generated by bench/ftp-compare.mjs (npm run bench:ftp); do not edit by hand, run it again. -->

![MiB/s of RETR and STOR, logins per second, per server](bench-ftp.svg)

Measured ${date} with \`${command}\` (${minutes} min).

- **Machine**: ${cpus().length} cores (${cpuModel}), Linux ${release()}, Node ${process.version}, vsftpd ${vsftpdVersion} (Debian package), curl ${curlVersion}; everything on loopback (127.0.0.1), client and server sharing the cores.
- **File**: ${sizeText} (${fmt(data.size)} bytes) of random bytes in \`${BENCH_ROOT}\`, written once by [bench/ftp/data-file.mjs](../bench/ftp/data-file.mjs) and reused by later runs (so it is in the page cache); both servers serve that folder.
- **Servers**, both started by [bench/ftp/servers.mjs](../bench/ftp/servers.mjs) and running side by side:
  - **Tandem** — \`tandem ftpd ${BENCH_ROOT} --port 0 --config FILE\` from the built CLI (\`dist/\`), default event model, one process. Config below: no anonymous login, one user with write access (password hashed with Tandem's \`hashPassword\`, scrypt with its default N=8192, r=8, p=2), limits raised for the storm.
  - **vsftpd** — \`vsftpd FILE\` in the foreground (\`background=NO\`), config below: local users only, \`write_enable=YES\`, no chroot, \`seccomp_sandbox=NO\` and \`isolate=NO\` (a container), \`max_clients\`/\`max_per_ip\` raised, no login delays, sendfile on (its default). vsftpd forks a process per session plus a privilege-separation helper.
  - **The user**: a system account \`${user.name}\` (home ${BENCH_ROOT}, made with \`useradd -M\`, a fresh random password per run via \`chpasswd\`, deleted at the end) that vsftpd checks through PAM; Tandem gets the same name and password in its config. STOR writes into \`upload/\`, which the account owns.
- **Client**: curl for both servers (\`curl -o /dev/null ftp://user:pass@127.0.0.1:PORT/FILE\` for RETR, \`curl -T FILE ftp://…/upload/NAME\` for STOR; EPSV, binary). **MiB/s** is the file's size over curl's \`time_total − time_pretransfer\`: from the transfer command to the 226 reply, without connecting and logging in. **CPU s** is user + system time of the server's processes over the transfer, vsftpd's session processes included: the larger of the listener's own + reaped children's time (cutime) and a sum over the processes seen every 100 ms (a lower bound for a helper that is reparented rather than reaped). **RSS** is the peak of the sum over the server's process tree, sampled every 100 ms (vsftpd's per-session processes share pages, so the sum overstates what vsftpd really uses).
- **Checks**: every RETR and STOR must move exactly ${fmt(data.size)} bytes and end with 226; each server's first STORed file must have the source's sha256 (the later ones their size); stored files are deleted after the check.
- **Login storm**: [bench/ftp/login-storm.mjs](../bench/ftp/login-storm.mjs) opens ${clients} raw control connections at once from one Node process; each waits for 220, sends USER (331) and PASS (230), then waits until every client is logged in or has failed, sends NOOP (200) and QUIT (221). Served = all four replies came; each client gets ${STORM_TIMEOUT_MS / 1000} s to log in and, once all are settled, ${STORM_TIMEOUT_MS / 1000} s for NOOP and QUIT. "All logged in after" is the time of the last 230. The kernel's TcpExt ListenOverflows and SyncookiesSent over the storm (machine-wide counters, so other programs running at the time add to them) show a full accept queue.
- **Method**: a warm-up RETR from each server, then ${rounds} round${rounds === 1 ? '' : 's'}, each: Tandem RETR, STOR, vsftpd RETR, STOR; then ${rounds} round${rounds === 1 ? '' : 's'} of storms, each: Tandem's, vsftpd's (after all transfers, so that a storm's memory does not count against them). Figures are **medians of the rounds**; the RSS goal takes the highest peak of any transfer.

## Goals (issue 6)

${goals.table}

## Figures

${tables}

## Tandem config

\`\`\`json
${JSON.stringify(tandemConfig, null, 2)}
\`\`\`

## vsftpd config

\`\`\`ini
${vsftpdConf.trim()}
\`\`\`
${findings ? `\n${findings}\n` : ''}`;
writeFileSync(new URL('../docs/bench-ftp.md', import.meta.url), doc);
const svg = ftpChartSvg(rows, stormRows, median, {
  title: 'FTP: Tandem and vsftpd (higher is better)',
  caption: `median of ${rounds} round${rounds === 1 ? '' : 's'}, curl over loopback, ${cpus().length} cores, Node ${process.version}, vsftpd ${vsftpdVersion}, ${date}`,
  size: sizeText,
});
writeFileSync(new URL('../docs/bench-ftp.svg', import.meta.url), svg);
log(
  `wrote docs/bench-ftp.md and docs/bench-ftp.svg (${minutes} min); RSS limit ${fmt(RSS_LIMIT_MIB, 1)} MiB`,
);
