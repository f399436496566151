import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { hashPassword } from '../../src/ftp/password-hash.js';
import { CLI, ROOT, type Running, startProcess } from './processes.js';

/** A user for the temp config of startFtpd, with its password in clear. */
export interface TestFtpUser {
  name: string;
  password: string;
  write?: boolean;
  home?: string;
}

/** What startFtpd sets up: files (relative to the root), users and other config keys, extra CLI flags. */
export interface FtpdOptions {
  files?: Record<string, string | Buffer>;
  users?: TestFtpUser[];
  /** Other keys of the JSON config (limits, timeouts, active, passive...). */
  config?: Record<string, unknown>;
  args?: string[];
}

/** A running `tandem ftpd` on a temp root: `dir` holds `root/` (served) and `ftpd.json`. */
export interface Ftpd {
  dir: string;
  root: string;
  port: number;
  running: Running;
  /** Stops the server and removes the temp directory. */
  stop(): Promise<void>;
}

/** Starts `tandem ftpd ROOT --port 0 --config FILE` on a fresh temp directory; resolves once it listens. */
export async function startFtpd(options: FtpdOptions = {}): Promise<Ftpd> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-ftpd-test-'));
  const root = join(dir, 'root');
  await mkdir(root);
  for (const [name, body] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), body);
  }
  const users = await Promise.all(
    (options.users ?? []).map(async (user) => ({
      name: user.name,
      password: await hashPassword(user.password),
      write: user.write ?? false,
      home: user.home ?? '',
    })),
  );
  const config = join(dir, 'ftpd.json');
  await writeFile(
    config,
    JSON.stringify({ users, ...options.config, limits: { failedLoginDelay: 50, ...limitsOf(options) } }),
  );
  const running = await startProcess(
    process.execPath,
    [CLI, 'ftpd', root, '--port', '0', '--config', config, ...(options.args ?? [])],
    /ftpd listening on ftp:\/\/[^:\s]+:(\d+)/,
  );
  return {
    dir,
    root,
    port: running.port,
    running,
    stop: async () => {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function limitsOf(options: FtpdOptions): Record<string, unknown> {
  const limits = options.config?.limits;
  return typeof limits === 'object' && limits !== null ? (limits as Record<string, unknown>) : {};
}

/**
 * Every entry under `dir` (not following symlinks, skipping `exclude` paths relative to `dir`): relative
 * path → `dir`, `link -> target` or the sha256 of the file. Equal snapshots mean nothing was touched.
 */
export async function snapshot(dir: string, exclude: readonly string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (at: string): Promise<void> => {
    for (const name of (await readdir(at)).sort()) {
      const path = join(at, name);
      const rel = relative(dir, path);
      if (exclude.includes(rel)) continue;
      const stats = await lstat(path);
      if (stats.isSymbolicLink()) out.set(rel, `link -> ${await readlink(path)}`);
      else if (stats.isDirectory()) {
        out.set(rel, 'dir');
        await walk(path);
      } else
        out.set(
          rel,
          createHash('sha256')
            .update(await readFile(path))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}

/** Sockets opened by FtpControl and dataSocket that are not closed yet. */
const openSockets = new Set<Socket>();

/** Destroys every control and data socket the tests left open (after a failed assertion, say). */
export function destroySockets(): void {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
}

function track(socket: Socket): Socket {
  openSockets.add(socket);
  socket.once('close', () => openSockets.delete(socket));
  return socket;
}

/** One FTP reply: its code and its text (the lines of a multi-line reply joined by '\n'). */
export interface FtpReply {
  code: number;
  text: string;
}

/** A raw FTP control connection for tests that send exactly the bytes they want. */
export class FtpControl {
  readonly socket: Socket;
  #pending = '';
  #lines: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#pending += text;
      const parts = this.#pending.split('\r\n');
      this.#pending = parts.pop() ?? '';
      this.#lines.push(...parts);
      this.#wake?.();
    });
    const end = () => {
      this.#ended = true;
      this.#wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connects (optionally from `localAddress`) and reads the 220 greeting. */
  static async connect(port: number, localAddress?: string): Promise<FtpControl> {
    const socket = track(connect({ host: '127.0.0.1', port, localAddress }));
    await once(socket, 'connect');
    const control = new FtpControl(socket);
    const greeting = await control.read();
    if (greeting.code !== 220) throw new Error(`expected 220, got ${greeting.code} ${greeting.text}`);
    return control;
  }

  /** True once the server closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  async #line(timeout: number): Promise<string> {
    const deadline = Date.now() + timeout;
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error(`connection closed (pending: ${JSON.stringify(this.#pending)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply in ${timeout} ms (pending: ${JSON.stringify(this.#pending)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.#lines.shift() as string;
  }

  /** Reads the next complete reply (RFC 959 §4.2 multi-line aware). */
  async read(timeout = 5000): Promise<FtpReply> {
    const first = await this.#line(timeout);
    const match = /^(\d{3})([ -])(.*)$/s.exec(first);
    if (match === null) throw new Error(`not a reply: ${JSON.stringify(first)}`);
    const code = Number(match[1]);
    const lines = [match[3] as string];
    if (match[2] === '-') {
      for (;;) {
        const line = await this.#line(timeout);
        if (line.startsWith(`${match[1]} `)) {
          lines.push(line.slice(4));
          break;
        }
        lines.push(line);
      }
    }
    return { code, text: lines.join('\n') };
  }

  /** Sends raw bytes as they are (no line end added). */
  write(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  /** Sends `line` + CRLF and reads the reply. */
  cmd(line: string): Promise<FtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  /** USER + PASS; throws unless the login succeeds. */
  async login(user: string, password: string): Promise<void> {
    const u = await this.cmd(`USER ${user}`);
    if (u.code !== 331) throw new Error(`USER: ${u.code} ${u.text}`);
    const p = await this.cmd(`PASS ${password}`);
    if (p.code !== 230) throw new Error(`PASS: ${p.code} ${p.text}`);
  }

  /** PASV; returns the data port (throws unless 227). */
  async pasv(): Promise<number> {
    const reply = await this.cmd('PASV');
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
    if (reply.code !== 227 || m === null) throw new Error(`PASV: ${reply.code} ${reply.text}`);
    return Number(m[5]) * 256 + Number(m[6]);
  }

  /**
   * PASV, connects the data socket, sends `line` (RETR, LIST...): the first reply, the bytes received and,
   * after a 1xx, the final reply.
   */
  async download(line: string): Promise<{ first: FtpReply; data: Buffer; last?: FtpReply }> {
    const data = await dataSocket(await this.pasv());
    const first = await this.cmd(line);
    if (first.code >= 200) {
      data.destroy();
      return { first, data: Buffer.alloc(0) };
    }
    const body = await readAll(data);
    return { first, data: body, last: await this.read() };
  }

  /** PASV, connects, sends `line` (STOR, APPE); after a 1xx writes `body`: the first and final replies. */
  async upload(line: string, body: string | Buffer): Promise<{ first: FtpReply; last?: FtpReply }> {
    const data = await dataSocket(await this.pasv());
    const first = await this.cmd(line);
    if (first.code >= 200) {
      data.destroy();
      return { first };
    }
    data.end(body);
    await once(data, 'close');
    return { first, last: await this.read() };
  }

  /** QUIT (best effort) and close. */
  async close(): Promise<void> {
    if (!this.#ended) this.socket.write('QUIT\r\n');
    this.socket.destroy();
  }
}

/** A data connection to 127.0.0.1:port, optionally from `localAddress`. */
export async function dataSocket(port: number, localAddress?: string): Promise<Socket> {
  const socket = track(connect({ host: '127.0.0.1', port, localAddress }));
  await once(socket, 'connect');
  return socket;
}

/** Everything a socket receives until it ends, closes or errors (or `timeout` ms pass: then it is destroyed). */
export function readAll(socket: Socket, timeout = 10_000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => {
      socket.destroy();
      done();
    }, timeout);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', done);
    socket.on('error', () => {});
  });
}

/** How a client program ended. */
export interface ToolResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `command args` in `cwd` (stdin closed), killed with SIGKILL after `timeout` ms. */
export function spawnTool(command: string, args: string[], cwd: string, timeout = 20_000): ChildProcess {
  return spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout, killSignal: 'SIGKILL' });
}

/** Runs `command args` to its end (bounded by `timeout`, so a hang fails instead of blocking). */
export async function runTool(
  command: string,
  args: string[],
  cwd = ROOT,
  timeout = 20_000,
): Promise<ToolResult> {
  const child = spawnTool(command, args, cwd, timeout);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [status, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { status, signal, stdout, stderr };
}

/** lftp's arguments for `script` (`;`-separated commands) as `user` on 127.0.0.1:port, failing fast. */
export function lftpArgs(port: number, user: string, password: string, script: string): string[] {
  const settings =
    'set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 5; set cmd:fail-exit yes; set xfer:clobber on';
  return ['-e', `${settings}; ${script}; bye`, '-u', `${user},${password}`, `ftp://127.0.0.1:${port}`];
}

/** Runs lftp `script` in `cwd`. */
export function lftp(
  port: number,
  user: string,
  password: string,
  script: string,
  cwd: string,
): Promise<ToolResult> {
  return runTool('lftp', lftpArgs(port, user, password, script), cwd);
}

/** Runs curl `args` (silent, errors shown, at most 15 s) in `cwd`. */
export function curl(args: string[], cwd: string): Promise<ToolResult> {
  return runTool('curl', ['-sS', '--max-time', '15', ...args], cwd);
}

/**
 * Runs a Python ftplib snippet logged in as `user` on 127.0.0.1:port with `ftp` connected, `local` the
 * working directory and `out` a dict printed as JSON at the end; resolves with that dict.
 */
export async function ftplib(
  port: number,
  user: string,
  password: string,
  snippet: string,
  cwd: string,
): Promise<Record<string, unknown>> {
  const program = [
    'import ftplib, json, os, sys',
    'ftp = ftplib.FTP(timeout=10, encoding="utf-8")',
    `ftp.connect("127.0.0.1", ${port})`,
    `ftp.login(${JSON.stringify(user)}, ${JSON.stringify(password)})`,
    'out = {}',
    snippet.trim(),
    'ftp.quit()',
    'print(json.dumps(out))',
  ].join('\n');
  const result = await runTool('python3', ['-c', program], cwd);
  if (result.status !== 0) throw new Error(`python3 ftplib failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
