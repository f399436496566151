import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { destroySockets, FtpControl, type Ftpd, type FtpReply, snapshot, startFtpd } from './ftpd.js';

/** What a leaked outside file (or /etc/passwd) looks like in a reply or a listing. */
export const MARKER = /MARKER-OUTSIDE|root:x?:0:|root:\*:0:/;
/** The user with write access on both attack servers. */
export const USER = 'bob';
/** Where an absolute-path write would land on a server that trusts the path. */
export const EVIL = '/tmp/tandem-ftp-attack-evil.txt';
/** The password of every attack-test user. */
export const PASSWORD = 'secret';

const traps = new Set<Server>();
const trapped = new Set<Socket>();

/** A listener that records every connection it gets (to catch a server's active data connection). */
export async function trap(
  host: string,
  port = 0,
): Promise<{ server: Server; port: number; hits: Socket[] }> {
  const hits: Socket[] = [];
  const server = createServer((socket) => {
    hits.push(socket);
    trapped.add(socket);
  });
  traps.add(server);
  server.on('close', () => traps.delete(server));
  server.listen(port, host);
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, hits };
}

/** The h1,h2,h3,h4,p1,p2 argument of PORT for `host`:`port`. */
export function portArg(host: string, port: number): string {
  return `${host.replaceAll('.', ',')},${port >> 8},${port & 255}`;
}

/** True for a 5xx reply. */
export function refused(reply: FtpReply | undefined): boolean {
  return reply !== undefined && reply.code >= 500 && reply.code < 600;
}

/**
 * The servers under attack and helpers bound to them; `ftpd`, `plain`, `dir` and `root` are set by the
 * `before` hook that attackServers registers.
 */
export interface AttackServers {
  /** Users bob (write) and reader (read-only), active mode on. */
  ftpd: Ftpd;
  /** Only bob, default config (active mode off). */
  plain: Ftpd;
  /** ftpd's temp directory: `root/` plus files outside the root. */
  dir: string;
  /** ftpd's served root. */
  root: string;
  /** Nothing outside the root changed (the config file aside, nothing there is the server's to write). */
  assertOutsideUntouched(): Promise<void>;
  /** A control connection logged in as `user` on `server`. */
  session(user?: string, password?: string, server?: Ftpd): Promise<FtpControl>;
}

/**
 * Registers, in the calling describe, the hooks of the attack tests: start both servers and the files
 * outside the root, rebuild the served tree before each test, drop sockets and traps after each, stop after all.
 */
export function attackServers(): AttackServers {
  let outsideBefore: Map<string, string>;
  const servers: AttackServers = {
    ftpd: undefined as unknown as Ftpd,
    plain: undefined as unknown as Ftpd,
    dir: '',
    root: '',
    assertOutsideUntouched: async () => {
      assert.deepEqual(await snapshot(servers.dir, ['root']), outsideBefore);
      assert.equal(existsSync(EVIL), false);
    },
    session: async (user = USER, password = PASSWORD, server = servers.ftpd) => {
      const control = await FtpControl.connect(server.port);
      await control.login(user, password);
      return control;
    },
  };

  /** The served tree, rebuilt before each test: files, an inside symlink and three escaping ones. */
  async function prepareTree(): Promise<void> {
    const { dir, root } = servers;
    for (const name of await readdir(root)) await rm(join(root, name), { recursive: true, force: true });
    await mkdir(join(root, 'pub'));
    await writeFile(join(root, 'pub', 'readme.txt'), 'public\n');
    await writeFile(join(root, 'victim.txt'), 'victim\n');
    await symlink('pub', join(root, 'inside-link'));
    await symlink(join(dir, 'outside'), join(root, 'escape'));
    await symlink(join(dir, 'outside', 'secret.txt'), join(root, 'escape-file'));
    await symlink(join(dir, 'outside', 'new.txt'), join(root, 'escape-new'));
  }

  before(async () => {
    await rm(EVIL, { force: true });
    servers.ftpd = await startFtpd({
      users: [
        { name: USER, password: PASSWORD, write: true },
        { name: 'reader', password: PASSWORD, write: false },
      ],
      config: { active: true },
    });
    servers.plain = await startFtpd({ users: [{ name: USER, password: PASSWORD, write: true }] });
    servers.dir = servers.ftpd.dir;
    servers.root = servers.ftpd.root;
    const { dir } = servers;
    await mkdir(join(dir, 'outside'));
    await writeFile(join(dir, 'outside', 'secret.txt'), 'MARKER-OUTSIDE-secret\n');
    await writeFile(join(dir, 'secret-top.txt'), 'MARKER-OUTSIDE-top\n');
    outsideBefore = await snapshot(dir, ['root']);
  });
  beforeEach(prepareTree);
  afterEach(() => {
    destroySockets();
    for (const server of traps) server.close();
    for (const socket of trapped) socket.destroy();
    trapped.clear();
  });
  after(async () => {
    await servers.ftpd?.stop();
    await servers.plain?.stop();
  });
  return servers;
}
