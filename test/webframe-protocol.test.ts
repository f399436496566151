import { join } from 'node:path';
import { webframeProtocolSuite } from '../src/protocol/webframe-protocol.case.js';
import { ROOT, startProcess, startWebframe } from './support/processes.js';

// One raw-frame conformance suite (docs/protocol.md), run against both webframes that implement the page.
const app = join(ROOT, 'test/fixtures/protocol-app');
for (const model of ['event', 'prefork'] as const) {
  webframeProtocolSuite(`tandem webframe --model ${model}`, () =>
    startWebframe(app, ['--model', model, '--workers', '2']),
  );
}
webframeProtocolSuite('examples/python-webframe', () =>
  startProcess(
    'python3',
    ['examples/python-webframe/webframe.py', '--port', '0'],
    /listening on [^\s]+:(\d+)/,
  ),
);
