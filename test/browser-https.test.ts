// End-to-end: the demo site over HTTPS (webframe + httpserver with a certificate from a CA made here), loaded
// by headless Chromium, which is told to trust that certificate's key and nothing else.
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { createTestCa, writeTempFiles } from '../src/tls/test-ca.test-helper.js';
import { startStack } from './support/processes.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 60_000;

describe('demo site over HTTPS in headless Chromium', { timeout: 180_000 }, () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Browser;
  let origin: string;

  before(async () => {
    const ca = await createTestCa();
    const leaf = await ca.issue({ names: ['localhost'] });
    const files = writeTempFiles({ 'site.pem': leaf.chain, 'site.key': leaf.key });
    // Chromium's way to trust one server key (its SPKI's SHA-256), short of a system trust store.
    const spki = createPublicKey(leaf.key).export({ type: 'spki', format: 'der' });
    const pin = createHash('sha256').update(spki).digest('base64');
    stack = await startStack('examples/site', {
      httpserver: ['--tls-cert', files['site.pem']!, '--tls-key', files['site.key']!],
    });
    origin = `https://localhost:${stack.httpserver.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: TIMEOUT,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--ignore-certificate-errors-spki-list=${pin}`,
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('the index page loads in a secure context, with its stylesheet and script', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT);
    try {
      const response = await page.goto(`${origin}/`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
      assert.equal(await page.title(), 'Tandem demo');
      const security = await response?.securityDetails();
      assert.match(security?.protocol ?? '', /TLS 1\.[23]/);
      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      await page.waitForFunction(
        () => document.getElementById('api-result')?.textContent === 'hello browser',
      );
      const protocol = await page.evaluate(
        () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
      );
      assert.match(protocol, /^(h2|http\/1\.1)$/);
    } finally {
      await page.close();
    }
  });
});
