import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { startStack, startWebframe } from './support/processes.js';

/** An app folder holding `urls.ts` with `source`, and a views.ts with one view `x`. */
function appWithUrls(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-routes-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'views.ts'), "export const x = () => 'x';\n");
  writeFileSync(join(dir, 'urls.ts'), source);
  return dir;
}

describe('urls.ts mistakes are refused at load, naming what is wrong', () => {
  test('a method-name typo ({ GIT: view }) names the file, the route and the method', async () => {
    const dir = appWithUrls(
      "import * as views from './views.js';\nexport default [['/x', views.x], ['/repo', { GIT: views.x }]];\n",
    );
    await assert.rejects(startWebframe(dir), (err: Error) => {
      assert.match(err.message, /exited with 1/);
      assert.ok(err.message.includes(join(dir, 'urls.ts')), err.message);
      assert.match(err.message, /entry 1 \(\/repo\): "GIT" is not an HTTP method/);
      return true;
    });
  });

  test('no default export: says urls.ts must default-export its routes', async () => {
    const dir = appWithUrls(
      "import * as views from './views.js';\nexport const routes = [['/x', views.x]];\n",
    );
    await assert.rejects(startWebframe(dir), (err: Error) => {
      assert.match(err.message, /exited with 1/);
      assert.match(err.message, /has no default export: urls\.ts must default-export its routes/);
      assert.doesNotMatch(err.message, /got a undefined/);
      return true;
    });
  });
});

describe('a bare [pattern, view] route through httpserver', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  before(async () => {
    stack = await startStack(
      appWithUrls("import * as views from './views.js';\nexport default [['/x', views.x]];\n"),
    );
  });
  after(() => stack?.stop());

  test('answers GET, POST, PUT, PATCH, DELETE, OPTIONS; TRACE gets 405 with Allow', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const r = await curl(['-X', method, `${stack.url}/x`]);
      assert.equal(r.status, 200, method);
    }
    const trace = await curl(['-X', 'TRACE', `${stack.url}/x`]);
    assert.equal(trace.status, 405);
    assert.equal(trace.headers.allow, 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
  });
});
