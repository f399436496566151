import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { before, describe, test } from 'node:test';
import { attackServers, PASSWORD, portArg, refused, trap, USER } from './support/ftp-attack-fixture.js';
import { dataSocket, type Ftpd, type FtpReply, readAll } from './support/ftpd.js';
import { waitFor } from './support/wait-for.js';

describe('attacks on tandem ftpd', () => {
  const servers = attackServers();
  const { session } = servers;
  let plain: Ftpd;
  before(() => {
    ({ plain } = servers);
  });

  test('PORT/EPRT to a foreign address or a low port is refused even with active mode on', async () => {
    const foreign = await trap('127.0.0.2');
    const control = await session();
    const attempts = [
      `PORT ${portArg('127.0.0.2', foreign.port)}`,
      `EPRT |1|127.0.0.2|${foreign.port}|`,
      `PORT ${portArg('192.0.2.1', 4000)}`,
      'EPRT |1|192.0.2.1|4000|',
      'EPRT |2|::1|4000|',
      `PORT ${portArg('127.0.0.1', 21)}`,
      `PORT ${portArg('127.0.0.1', 1023)}`,
      `PORT ${portArg('127.0.0.1', 0)}`,
      'EPRT |1|127.0.0.1|1023|',
      'EPRT |1|127.0.0.1|22|',
    ];
    for (const line of attempts) {
      const reply = await control.cmd(line);
      assert.ok(refused(reply), `${line} → ${reply.code} ${reply.text}`);
      const list = await control.cmd('NLST');
      assert.equal(list.code, 425, `no data connection prepared after a refused ${line}: ${list.text}`);
    }
    assert.equal(foreign.hits.length, 0, 'the server never connected to the foreign address');
    // Control: PORT to the client's own address and a high port works.
    const own = await trap('127.0.0.1');
    assert.equal((await control.cmd(`PORT ${portArg('127.0.0.1', own.port)}`)).code, 200);
    assert.equal((await control.cmd('NLST')).code, 150);
    await waitFor(() => own.hits.length > 0, 'the server to connect to the client');
    assert.match((await readAll(own.hits[0] as Socket)).toString(), /victim\.txt/);
    assert.equal((await control.read()).code, 226);
    await control.close();
    foreign.server.close();
    own.server.close();
  });

  test('PORT/EPRT are refused when active mode is disabled', async () => {
    const own = await trap('127.0.0.1');
    const control = await session(USER, PASSWORD, plain);
    for (const line of [`PORT ${portArg('127.0.0.1', own.port)}`, `EPRT |1|127.0.0.1|${own.port}|`]) {
      const reply = await control.cmd(line);
      assert.ok(refused(reply), `${line} → ${reply.code} ${reply.text}`);
      assert.equal((await control.cmd('NLST')).code, 425);
    }
    assert.equal(own.hits.length, 0);
    await control.close();
    own.server.close();
  });

  for (const order of ['before', 'after'] as const) {
    test(`a PASV data connection from another address (${order} RETR) is refused, the client still gets its data`, async () => {
      const control = await session();
      const port = await control.pasv();
      const connectForeign = async () => {
        const socket = await dataSocket(port, '127.0.0.2');
        // Closed by the server: its FIN or reset, not readAll's own destroy at the deadline.
        let closed = false;
        socket.once('end', () => {
          closed = true;
        });
        socket.once('error', () => {
          closed = true;
        });
        const data = await readAll(socket);
        return { data, closed };
      };
      let intruder: Promise<{ data: Buffer; closed: boolean }>;
      let first: FtpReply;
      if (order === 'before') {
        // Refused at once, before the RETR that would have been its transfer.
        intruder = connectForeign();
        await intruder;
        first = await control.cmd('RETR pub/readme.txt');
      } else {
        first = await control.cmd('RETR pub/readme.txt');
        intruder = connectForeign();
      }
      assert.equal(first.code, 150, first.text);
      const stolen = await intruder;
      assert.equal(stolen.data.length, 0, `leaked: ${stolen.data.toString()}`);
      assert.ok(stolen.closed, 'the foreign connection was closed by the server');
      const mine = await dataSocket(port);
      assert.equal((await readAll(mine)).toString(), 'public\n');
      assert.equal((await control.read()).code, 226);
      await control.close();
    });
  }
});
