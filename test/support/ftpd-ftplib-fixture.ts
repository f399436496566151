import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { hashPassword } from '../../src/ftp/password-hash.js';
import { CLI, type Running, startProcess } from './processes.js';

const run = promisify(execFile);

/** Lines every Python script starts with: ftplib against the server's port (argv[1]). */
const PRELUDE = `
import ftplib, io, json, os, socket, sys, time
PORT = int(sys.argv[1])
def connect(user='anonymous', password='guest@'):
    f = ftplib.FTP(timeout=20)
    f.connect('127.0.0.1', PORT)
    f.login(user, password)
    return f
def fetch(f, name, rest=None):
    out = io.BytesIO()
    f.retrbinary('RETR ' + name, out.write, rest=rest)
    return out.getvalue()
def error(call):
    try:
        call()
    except ftplib.all_errors as e:
        return str(e)
    return 'no error'
`;

/** Runs a Python 3 ftplib script against `port`; resolves with what it printed as JSON. */
export async function py(port: number, script: string): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run('python3', ['-c', `${PRELUDE}\n${script}`, String(port)], {
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    const failure = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`python failed: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
}

/** `curl` with arguments; resolves with its stdout, or the exit code when it failed. */
export async function curl(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8' });
    return { code: 0, stdout };
  } catch (err) {
    return { code: (err as { code: number }).code, stdout: (err as { stdout: string }).stdout };
  }
}

/** Size in bytes of the fixture's big.bin. */
export const BIG = 48 << 20;

/** The temp tree the ftplib tests serve; every field is set by the `before` hook of ftpdFixture. */
export interface FtpdFixture {
  /** The temp directory: holds `root/`, secret.txt (outside the root) and ftpd.json. */
  dir: string;
  /** The served root: hello.txt, pub/readme.txt, données-日本.txt and big.bin. */
  root: string;
  /** ftpd.json: users alice (write) and reader (read-only), 4 connections per address, 300 ms login delay. */
  configFile: string;
}

const fixture: FtpdFixture = { dir: '', root: '', configFile: '' };
const started: Running[] = [];

/** Starts `tandem ftpd` on the fixture root with `extra` CLI flags; stopped by the `after` hook. */
export function startFtpd(extra: string[]): Promise<Running> {
  return startProcess(
    process.execPath,
    [CLI, 'ftpd', fixture.root, '--port', '0', ...extra],
    /ftpd listening on ftp:\/\/[^:]+:(\d+)/,
  ).then((running) => {
    started.push(running);
    return running;
  });
}

/**
 * Registers the hooks that build the temp tree (see FtpdFixture) before all tests, and stop every server
 * startFtpd started and remove the tree after all; returns the fixture its fields land in.
 */
export function ftpdFixture(): FtpdFixture {
  before(async () => {
    fixture.dir = await mkdtemp(join(tmpdir(), 'tandem-ftpd-'));
    fixture.root = join(fixture.dir, 'root');
    const { dir, root } = fixture;
    await mkdir(join(root, 'pub'), { recursive: true });
    await writeFile(join(root, 'hello.txt'), 'hello, ftp\n');
    await writeFile(join(root, 'pub', 'readme.txt'), 'read me\n');
    await writeFile(join(root, 'données-日本.txt'), 'utf-8 name\n');
    const big = Buffer.alloc(BIG);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    await writeFile(join(root, 'big.bin'), big);
    await writeFile(join(dir, 'secret.txt'), 'SECRET\n');
    fixture.configFile = join(dir, 'ftpd.json');
    const users = [
      { name: 'alice', password: await hashPassword('s3cret'), write: true },
      { name: 'reader', password: await hashPassword('r3ad'), write: false },
    ];
    await writeFile(
      fixture.configFile,
      JSON.stringify({ users, limits: { perAddress: 4, failedLoginDelay: 300 }, timeouts: { data: 10_000 } }),
    );
  });

  after(async () => {
    await Promise.all(started.map((running) => running.stop()));
    await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
