import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { encodeFrame, FrameType } from '../src/protocol/frame-codec.js';
import { curl } from './support/http-client.js';
import { startStack, treeRssMiB } from './support/processes.js';

const APP = 'test/fixtures/app';
const TOTAL = 128 << 20;

/** The rows of /proc/net/tcp (IPv4 sockets), split into fields: 1 local, 2 remote, 4 tx:rx queues, 5 timer, 9 inode. */
function tcpRows(): string[][] {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/));
}

const portOf = (address: string | undefined) => Number.parseInt(address?.split(':')[1] ?? '', 16);

/** `pid` and its children: the webframe and its workers. */
function tree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(children === '' ? [] : children.split(/\s+/).map(Number))];
  } catch {
    return [pid];
  }
}

/** The pids among `pids` that hold the socket with this inode. */
function holders(inode: string, pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some(
        (fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`,
      );
    } catch {
      return false;
    }
  });
}

/** True when every thread of `pid` sleeps (state S in /proc): the process waits for nothing but events. */
function asleep(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((task) => {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return stat.charAt(stat.lastIndexOf(')') + 2) === 'S';
    });
  } catch {
    return false;
  }
}

/**
 * True when the webframe (`pid` or one of its workers) has stopped reading `socket`, as the kernel shows it:
 * our side probes a zero window (timer 04), bytes wait unread in the webframe's side, and every thread of
 * the process that holds that side sleeps. A webframe that still reads, however slowly (or collects its
 * garbage), is woken by those bytes and runs.
 */
function stoppedReading(socket: Socket, pid: number): boolean {
  const rows = tcpRows();
  const side = (local: number | undefined, remote: number | undefined) =>
    rows.find((f) => portOf(f[1]) === local && portOf(f[2]) === remote);
  const ours = side(socket.localPort, socket.remotePort);
  const theirs = side(socket.remotePort, socket.localPort);
  if (!ours?.[5]?.startsWith('04:') || theirs?.[9] === undefined) return false;
  if (Number.parseInt(theirs[4]?.split(':')[1] ?? '0', 16) === 0) return false;
  const owners = holders(theirs[9], tree(pid));
  return owners.length > 0 && owners.every(asleep);
}

/**
 * Sends HELLO and then PINGs to the webframe at `port` without ever reading the answers, until TOTAL bytes are
 * sent or the webframe stops taking them (stoppedReading: no drain will come);
 * resolves with the bytes sent and whether the flood stalled.
 */
async function flood(
  port: number,
  pid: number,
): Promise<{ sent: number; stalled: boolean; close: () => void }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.pause(); // the PING ACKs are never read
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"protocol":"tandem","version":1}')));
  const batch = Buffer.concat(
    Array.from({ length: 4096 }, () => encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8))),
  );
  let sent = 0;
  while (sent < TOTAL) {
    sent += batch.length;
    if (socket.write(batch)) continue;
    const drained = await new Promise<boolean>((resolve, reject) => {
      const done = (value: boolean | Error) => {
        clearInterval(poll);
        clearTimeout(giveUp);
        socket.off('drain', onDrain);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      // Only a bound for a broken test: neither a drain nor a reader that stopped.
      const giveUp = setTimeout(
        () =>
          done(new Error(`no drain within 30 s, yet no sign the webframe stopped reading (${sent} sent)`)),
        30_000,
      );
      const onDrain = () => done(true);
      // Seen twice in a row, so that a reader caught between two reads is not taken for one that stopped.
      let seen = 0;
      const poll = setInterval(() => {
        seen = stoppedReading(socket, pid) ? seen + 1 : 0;
        if (seen === 2) done(false);
      }, 20);
      socket.once('drain', onDrain);
    });
    if (!drained) return { sent, stalled: true, close: () => socket.destroy() };
  }
  return { sent, stalled: false, close: () => socket.destroy() };
}

for (const model of ['event', 'prefork'] as const) {
  describe(`a peer that floods the webframe and never reads cannot grow it (--model ${model})`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      stack = await startStack(APP, { webframe: ['--model', model, '--workers', '2'] });
    });
    after(async () => {
      await stack?.stop();
    });

    test('a PING flood stalls in the flooder once replies back up; the webframe stays small and serves', async (t) => {
      const pid = stack.webframe.proc.pid!;
      const before = treeRssMiB(pid);
      const result = await flood(stack.webframe.port, pid);
      const grew = treeRssMiB(pid) - before;
      t.diagnostic(
        `flooder sent ${(result.sent / 2 ** 20).toFixed(1)} MiB; webframe grew by ${Math.round(grew)} MiB`,
      );
      try {
        assert.ok(result.stalled, `the webframe read all ${result.sent} bytes`);
        assert.ok(grew < 100, `the webframe grew by ${Math.round(grew)} MiB`);
        assert.equal((await curl([`${stack.url}/sleep/1`])).status, 200, 'everyone else is still served');
      } finally {
        result.close();
      }
    });
  });
}
