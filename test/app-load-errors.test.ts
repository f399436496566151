import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startWebframe } from './support/processes.js';

describe('an app that fails while it loads is reported where it failed', () => {
  for (const model of ['event', 'prefork'] as const) {
    test(`views.ts throwing at import names views.ts and its line (--model ${model})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tandem-throwing-views-'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(
        join(dir, 'urls.ts'),
        "import * as views from './views.js';\nexport default [['/x', views.x]];\n",
      );
      writeFileSync(
        join(dir, 'views.ts'),
        "export const x = () => 'x';\nthrow new Error('views broke at import');\n",
      );
      await assert.rejects(startWebframe(dir, ['--model', model]), (err: Error) => {
        assert.match(err.message, /exited with 1/);
        assert.ok(
          err.message.includes(`${join(dir, 'views.ts')}:2: views broke at import (imported by urls.ts)`),
          err.message,
        );
        return true;
      });
    });
  }
});
