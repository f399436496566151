import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { curl, ftpdFixture, py, startFtpd } from './support/ftpd-ftplib-fixture.js';

const fixture = ftpdFixture();

describe('tandem ftpd (event model) with Python ftplib', () => {
  let port: number;
  before(async () => {
    port = (await startFtpd(['--config', fixture.configFile])).port;
  });

  test('anonymous logs in, lists and downloads, and may not write', async () => {
    const out = await py(
      port,
      `
f = connect()
r = {'welcome': f.getwelcome(), 'pwd': f.pwd(), 'nlst': sorted(f.nlst()), 'hello': fetch(f, 'hello.txt').decode()}
lines = []
f.retrlines('LIST', lines.append)
r['list'] = lines
for name, call in [('stor', lambda: f.storbinary('STOR new.txt', io.BytesIO(b'x'))),
                   ('appe', lambda: f.storbinary('APPE hello.txt', io.BytesIO(b'x'))),
                   ('mkd', lambda: f.mkd('d')), ('dele', lambda: f.delete('hello.txt')),
                   ('rnfr', lambda: f.rename('hello.txt', 'h.txt')), ('rmd', lambda: f.rmd('pub'))]:
    r[name] = error(call)
r['quit'] = f.quit()
print(json.dumps(r))
`,
    );
    assert.match(String(out.welcome), /^220 /);
    assert.equal(out.pwd, '/');
    assert.deepEqual(out.nlst, ['big.bin', 'données-日本.txt', 'hello.txt', 'pub']);
    assert.equal(out.hello, 'hello, ftp\n');
    assert.ok((out.list as string[]).some((line) => /^-rw.* 11 .* hello\.txt$/.test(line)));
    assert.ok((out.list as string[]).some((line) => /^d.* pub$/.test(line)));
    for (const key of ['stor', 'appe', 'mkd', 'dele', 'rnfr', 'rmd']) {
      assert.match(String(out[key]), /^550 Permission denied/, key);
    }
    assert.equal(await stat(join(fixture.root, 'new.txt')).catch(() => 'absent'), 'absent');
    assert.match(String(out.quit), /^221 /);
  });

  test('a user from the config file stores, appends, resumes, lists, renames and deletes', async () => {
    const out = await py(
      port,
      `
f = connect('alice', 's3cret')
r = {}
data = bytes(range(256)) * 1000
f.storbinary('STOR up.bin', io.BytesIO(data))
r['stored'] = fetch(f, 'up.bin') == data
f.storbinary('APPE up.bin', io.BytesIO(b'tail'))
r['size'] = f.size('up.bin')
r['resumed'] = fetch(f, 'up.bin', rest=len(data)).decode()
f.storbinary('STOR part.txt', io.BytesIO(b'0123456789'))
conn = f.transfercmd('STOR part.txt', rest=4)
conn.sendall(b'abc')
conn.close()
r['rest_stor_reply'] = f.voidresp()
r['rest_stor'] = fetch(f, 'part.txt').decode()
r['mdtm'] = f.sendcmd('MDTM part.txt')
r['mkd'] = f.mkd('docs')
r['cwd'] = f.cwd('docs')
r['pwd'] = f.pwd()
name = 'données-日本 2.txt'
f.storbinary('STOR ' + name, io.BytesIO('unicode ✓'.encode()))
r['nlst'] = f.nlst()
r['mlsd'] = [(n, facts['type'], facts.get('size')) for n, facts in f.mlsd()]
r['mlst'] = f.sendcmd('MLST ' + name)
r['rename'] = f.rename(name, 'renamed.txt')
r['renamed'] = fetch(f, '/docs/renamed.txt').decode()
r['cdup'] = f.sendcmd('CDUP')
r['pwd2'] = f.pwd()
r['rmd_full'] = error(lambda: f.rmd('docs'))
r['dele'] = f.delete('docs/renamed.txt')
r['rmd'] = f.rmd('docs')
r['gone'] = error(lambda: f.size('docs'))
r['utf8'] = fetch(f, 'données-日本.txt').decode()
lines = []
f.retrlines('LIST pub', lines.append)
r['list_pub'] = lines
f.quit()
print(json.dumps(r))
`,
    );
    assert.equal(out.stored, true);
    assert.equal(out.size, 256_004);
    assert.equal(out.resumed, 'tail');
    assert.match(String(out.rest_stor_reply), /^226 /);
    assert.equal(out.rest_stor, '0123abc');
    assert.equal(await readFile(join(fixture.root, 'part.txt'), 'utf8'), '0123abc');
    assert.match(String(out.mdtm), /^213 \d{14}$/);
    assert.equal(out.mkd, '/docs');
    assert.equal(out.pwd, '/docs');
    assert.deepEqual(out.nlst, ['données-日本 2.txt']);
    assert.deepEqual(out.mlsd, [
      ['.', 'cdir', null],
      ['données-日本 2.txt', 'file', '11'],
    ]);
    assert.match(
      String(out.mlst),
      /^250-.*\n type=file;size=11;modify=\d{14};perm=adfrw; \/docs\/données-日本 2\.txt\n250 End$/,
    );
    assert.match(String(out.rename), /^250 /);
    assert.equal(out.renamed, 'unicode ✓');
    assert.match(String(out.cdup), /^250 /);
    assert.equal(out.pwd2, '/');
    assert.match(String(out.rmd_full), /^550 Directory not empty: \/docs/);
    assert.match(String(out.rmd), /^250 /);
    assert.match(String(out.gone), /^550 No such file or directory: \/docs/);
    assert.equal(out.utf8, 'utf-8 name\n');
    assert.equal((out.list_pub as string[]).length, 1);
    assert.match((out.list_pub as string[])[0] ?? '', / readme\.txt$/);
  });

  test('ALLO is a no-op, FEAT lists TVFS, OPTS MLST picks the facts, RNTO needs its own RNFR', async () => {
    const out = await py(
      port,
      `
f = connect('alice', 's3cret')
f.storbinary('STOR opts.txt', io.BytesIO(b'12345'))
r = {'allo': f.sendcmd('ALLO 5'), 'feat': f.sendcmd('FEAT')}
r['opts'] = f.sendcmd('OPTS MLST size;Modify;unknown;')
r['feat_after'] = f.sendcmd('FEAT')
r['mlst'] = f.sendcmd('MLST opts.txt')
r['mlsd'] = [(n, sorted(facts)) for n, facts in f.mlsd('/', facts=[])]
r['opts_none'] = f.sendcmd('OPTS MLST')
r['mlst_none'] = f.sendcmd('MLST opts.txt')
r['opts_all'] = f.sendcmd('OPTS MLST type;size;modify;perm;')
r['rnfr'] = f.sendcmd('RNFR opts.txt')
r['rnto_bad'] = error(lambda: f.sendcmd('RNTO no-such-dir/x.txt'))
r['rnto_again'] = error(lambda: f.sendcmd('RNTO moved.txt'))
r['kept'] = fetch(f, 'opts.txt').decode()
f.quit()
print(json.dumps(r))
`,
    );
    assert.match(String(out.allo), /^202 /);
    assert.match(String(out.feat), /\n TVFS\n/);
    assert.match(String(out.feat), /\n MLST type\*;size\*;modify\*;perm\*;\n/);
    assert.equal(out.opts, '200 MLST OPTS size;modify;');
    assert.match(String(out.feat_after), /\n MLST type;size\*;modify\*;perm;\n/);
    assert.match(String(out.mlst), /\n size=5;modify=\d{14}; \/opts\.txt\n250 End$/);
    assert.deepEqual(
      (out.mlsd as [string, string[]][]).find(([name]) => name === 'opts.txt'),
      ['opts.txt', ['modify', 'size']],
    );
    assert.equal(out.opts_none, '200 MLST OPTS');
    assert.match(String(out.mlst_none), /\n {2}\/opts\.txt\n250 End$/);
    assert.equal(out.opts_all, '200 MLST OPTS type;size;modify;perm;');
    assert.match(String(out.rnfr), /^350 /);
    assert.match(String(out.rnto_bad), /^55\d /);
    assert.match(String(out.rnto_again), /^503 /);
    assert.equal(out.kept, '12345');
    assert.equal(await stat(join(fixture.root, 'moved.txt')).catch(() => 'absent'), 'absent');
  });

  test('a user without write permission is read-only', async () => {
    const out = await py(
      port,
      `
f = connect('reader', 'r3ad')
print(json.dumps({'stor': error(lambda: f.storbinary('STOR x.txt', io.BytesIO(b'x'))), 'get': fetch(f, 'hello.txt').decode()}))
`,
    );
    assert.match(String(out.stor), /^550 Permission denied: this account is read-only/);
    assert.equal(out.get, 'hello, ftp\n');
  });

  test('the jail holds: no way out by "..", absolute paths or backslash', async () => {
    const out = await py(
      port,
      `
f = connect()
r = {'up': error(lambda: fetch(f, '../secret.txt')), 'abs': error(lambda: fetch(f, '/../../secret.txt')),
     'bs': error(lambda: fetch(f, '..\\\\secret.txt')), 'cwd': f.cwd('../../..'), 'pwd': f.pwd()}
print(json.dumps(r))
`,
    );
    assert.match(String(out.up), /^550 No such file/);
    assert.match(String(out.abs), /^550 No such file/);
    assert.match(String(out.bs), /^553 File name not allowed/);
    assert.equal(out.pwd, '/');
  });

  test('curl lists, downloads and uploads; anonymous uploads fail', async () => {
    const url = `ftp://127.0.0.1:${port}`;
    const list = await curl(`${url}/`);
    assert.equal(list.code, 0);
    assert.match(list.stdout, / hello\.txt\r?\n/);
    assert.match(list.stdout, / données-日本\.txt\r?\n/);
    assert.match((await curl('--list-only', `${url}/pub/`)).stdout, /^readme\.txt\r?\n$/);
    assert.equal((await curl(`${url}/hello.txt`)).stdout, 'hello, ftp\n');
    assert.equal((await curl(`${url}/${encodeURIComponent('données-日本.txt')}`)).stdout, 'utf-8 name\n');
    const local = join(fixture.dir, 'curl-up.txt');
    await writeFile(local, 'uploaded by curl\n');
    assert.equal((await curl('-T', local, `ftp://alice:s3cret@127.0.0.1:${port}/pub/`)).code, 0);
    assert.equal(await readFile(join(fixture.root, 'pub', 'curl-up.txt'), 'utf8'), 'uploaded by curl\n');
    assert.equal((await curl('-T', local, `${url}/anon.txt`)).code, 25);
    assert.equal((await curl(`${url}/missing.txt`)).code, 78);
  });
});
