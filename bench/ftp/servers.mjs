// The two FTP servers of the bench, started the same way: vsftpd (Debian's package, foreground, one config file
// written per run) and `tandem ftpd` (the built CLI, a JSON config), both serving BENCH_ROOT on 127.0.0.1 to one
// local user with write access.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTandem } from '../lib.mjs';

/** The system user both servers let in (vsftpd needs a real account; Tandem gets the same name and password). */
export const BENCH_USER = 'tandemftpbench';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` answers with an FTP greeting (220), retrying for up to `ms`. */
async function waitForGreeting(port, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(2000, () => socket.destroy());
      socket.once('data', (d) => {
        socket.end('QUIT\r\n');
        resolve(d.toString().startsWith('220'));
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no FTP greeting on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Creates (or reuses) the bench's system user with home `root` and a fresh random password, and an `upload`
 * folder in `root` that the user owns. Returns { name, password, remove() }; remove() deletes the account.
 */
export function ensureBenchUser(root) {
  try {
    execFileSync('id', [BENCH_USER], { stdio: 'ignore' });
  } catch {
    // pam_shells (Debian's /etc/pam.d/vsftpd) wants a shell listed in /etc/shells; -M: no home made.
    execFileSync('useradd', ['-M', '-d', root, '-s', '/bin/sh', BENCH_USER]);
  }
  const password = randomBytes(12).toString('hex');
  execFileSync('chpasswd', { input: `${BENCH_USER}:${password}\n` });
  const uid = Number(execFileSync('id', ['-u', BENCH_USER], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', BENCH_USER], { encoding: 'utf8' }));
  const upload = join(root, 'upload');
  rmSync(upload, { recursive: true, force: true });
  mkdirSync(upload, { mode: 0o755 });
  chownSync(upload, uid, gid);
  return {
    name: BENCH_USER,
    password,
    remove() {
      rmSync(upload, { recursive: true, force: true });
      execFileSync('userdel', [BENCH_USER], { stdio: 'ignore' });
    },
  };
}

/** vsftpd.conf for the bench: standalone on 127.0.0.1:port, local users with write access, no chroot. */
export function vsftpdConf({ port, pasvMin, pasvMax, clients }) {
  return `# Written by bench/ftp/servers.mjs for bench/ftp-compare.mjs.
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=${port}
background=NO
# Local users (PAM service vsftpd) may read and write; no anonymous login.
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
# Without chroot, so no "refusing to run with writable root inside chroot()".
chroot_local_user=NO
pasv_enable=YES
pasv_min_port=${pasvMin}
pasv_max_port=${pasvMax}
port_enable=NO
# Enough sessions for the login storm.
max_clients=${clients}
max_per_ip=${clients}
delay_successful_login=0
delay_failed_login=0
# In a container: no seccomp filter (it breaks on newer kernels/glibc) and no new network/PID namespaces.
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=/var/run/vsftpd/empty
pam_service_name=vsftpd
ssl_enable=NO
userlist_enable=NO
tcp_wrappers=NO
dirmessage_enable=NO
xferlog_enable=NO
use_localtime=NO
use_sendfile=YES
idle_session_timeout=300
data_connection_timeout=60
`;
}

/**
 * Starts vsftpd in the foreground on a free port with a config from vsftpdConf; resolves with
 * { name, pid, port, conf, stop() } once it greets.
 */
export async function startVsftpd({ clients }) {
  const port = await freePort();
  const pasvMin = 40000 + Math.floor(Math.random() * 10) * 1000;
  const conf = vsftpdConf({ port, pasvMin, pasvMax: pasvMin + 999, clients });
  const dir = mkdtempSync(join(tmpdir(), 'tandem-vsftpd-'));
  const file = join(dir, 'vsftpd.conf');
  writeFileSync(file, conf, { mode: 0o600 });
  mkdirSync('/var/run/vsftpd/empty', { recursive: true });
  const proc = spawn('vsftpd', [file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((_, reject) =>
    proc.on('exit', (code) => reject(new Error(`vsftpd exited ${code}: ${err}`))),
  );
  await Promise.race([waitForGreeting(port), exited]);
  exited.catch(() => {});
  return {
    name: 'vsftpd',
    pid: proc.pid,
    port,
    conf,
    async stop() {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `tandem ftpd ROOT --port 0 --config FILE` with `user` (password hashed with the server's own
 * hashPassword), write access, limits raised to `clients`; resolves with { name, pid, port, config, stop() }.
 */
export async function startTandemFtpd({ root, user, clients }) {
  const { hashPassword } = await import('../../dist/ftp/password-hash.js');
  const pasvMin = 50000 + Math.floor(Math.random() * 10) * 1000;
  const config = {
    anonymous: false,
    users: [{ name: user.name, password: await hashPassword(user.password), write: true }],
    passive: { portMin: pasvMin, portMax: pasvMin + 999 },
    limits: { connections: clients, perAddress: clients },
  };
  const dir = mkdtempSync(join(tmpdir(), 'tandem-ftpd-'));
  const file = join(dir, 'ftpd.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const { proc, port } = await startTandem(['ftpd', root, '--port', '0', '--config', file]);
  await waitForGreeting(port);
  return {
    name: 'Tandem',
    pid: proc.pid,
    port,
    config: { ...config, users: [{ ...config.users[0], password: 'scrypt$8192$8$2$…' }] },
    async stop() {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
