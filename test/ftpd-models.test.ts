import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIG, ftpdFixture, py, startFtpd } from './support/ftpd-ftplib-fixture.js';
import { CLI } from './support/processes.js';

const fixture = ftpdFixture();

test('a model ftpd cannot run on, named in the config file, is reported as that file and key', async () => {
  const file = join(fixture.dir, 'thread.json');
  await writeFile(file, JSON.stringify({ model: 'thread' }));
  const stderr = await new Promise<string>((resolve) =>
    execFile(
      process.execPath,
      [CLI, 'ftpd', fixture.root, '--port', '0', '--config', file],
      (_err, _out, err) => resolve(err),
    ),
  );
  assert.match(
    stderr,
    new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: key "model": expected one of event, fork, prefork .*got "thread"`,
    ),
  );
  assert.doesNotMatch(stderr, /--model/);
});

for (const model of ['prefork', 'fork']) {
  describe(`tandem ftpd --model ${model}`, () => {
    test('logs in, lists and downloads', async () => {
      const { port } = await startFtpd(['--model', model]);
      const out = await py(
        port,
        `
fs = [connect() for _ in range(3)]
r = {'nlst': [sorted(f.nlst()) for f in fs], 'get': [fetch(f, 'pub/readme.txt').decode() for f in fs]}
lines = []
fs[0].retrlines('LIST', lines.append)
r['list'] = len(lines)
r['big'] = len(fetch(fs[1], 'big.bin'))
for f in fs: f.quit()
print(json.dumps(r))
`,
      );
      assert.equal((out.nlst as string[][]).length, 3);
      assert.ok((out.nlst as string[][]).every((names) => names.includes('hello.txt')));
      assert.deepEqual(out.get, ['read me\n', 'read me\n', 'read me\n']);
      assert.ok(Number(out.list) >= 4);
      assert.equal(out.big, BIG);
    });
  });
}
