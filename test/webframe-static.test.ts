import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { startStack } from './support/processes.js';

describe("a webframe app's static/ folder, through httpserver", () => {
  let app: string;
  let stack: Awaited<ReturnType<typeof startStack>>;
  before(async () => {
    app = mkdtempSync(join(tmpdir(), 'tandem-webframe-static-'));
    writeFileSync(join(app, 'urls.ts'), "export default [['/x', () => 'x']];\n");
    mkdirSync(join(app, 'static', 'dir'), { recursive: true });
    writeFileSync(join(app, 'static', 'dir', 'index.html'), '<p>dir</p>\n');
    stack = await startStack(app);
  });
  after(async () => {
    await stack?.stop();
    if (app !== undefined) rmSync(app, { recursive: true, force: true });
  });

  test('a directory redirect keeps the query string, as tandem static does', async () => {
    const r = await curl([`${stack.url}/dir?x=1&y=%20`]);
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'dir/?x=1&y=%20');
    const followed = await curl([`${stack.url}/dir/?x=1&y=%20`]);
    assert.deepEqual([followed.status, followed.body], [200, '<p>dir</p>\n']);
  });
});
