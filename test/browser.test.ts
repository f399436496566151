// End-to-end: the demo site served by webframe + httpserver (two processes), driven by headless Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startStack } from './support/processes.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 60_000;

describe('demo site in headless Chromium', { timeout: 180_000 }, () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Browser;

  before(async () => {
    stack = await startStack('examples/site');
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
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Runs `body` on a fresh page that is always closed afterwards. */
  async function withPage(body: (page: Page) => Promise<void>): Promise<void> {
    const page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT);
    try {
      await body(page);
    } finally {
      await page.close();
    }
  }

  test('the index page loads with its stylesheet and script', async () => {
    await withPage(async (page) => {
      const assets = new Map<string, { status: number; type: string }>();
      page.on('response', (response) => {
        const path = new URL(response.url()).pathname;
        assets.set(path, { status: response.status(), type: response.headers()['content-type'] ?? '' });
      });

      const response = await page.goto(`${stack.url}/`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
      assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);
      assert.equal(await page.title(), 'Tandem demo');

      // style.css: `form { display: grid }` and `main { max-width: 40rem }` (16px root font → 640px).
      const styles = await page.evaluate(() => ({
        form: getComputedStyle(document.getElementById('demo-form')!).display,
        main: getComputedStyle(document.querySelector('main')!).maxWidth,
      }));
      assert.deepEqual(styles, { form: 'grid', main: '640px' });

      // app.js replaces "not loaded", then fills in the JSON view's greeting.
      await page.waitForFunction(
        () => document.getElementById('api-result')?.textContent === 'hello browser',
      );
      assert.equal(await page.textContent('#js-status'), 'JS loaded');

      assert.equal(assets.get('/style.css')?.status, 200);
      assert.match(assets.get('/style.css')?.type ?? '', /^text\/css/);
      assert.equal(assets.get('/app.js')?.status, 200);
      assert.match(assets.get('/app.js')?.type ?? '', /^(text|application)\/javascript/);
    });
  });

  test('the form round-trips values literally, HTML-escaped', async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.url}/`);
      const name = '<b>&"é</b>';
      const message = "line one\nO'Brien <i>x</i> & <script>window.pwned = 1</script>";
      await page.fill('#demo-form [name="name"]', name);
      await page.fill('#demo-form [name="message"]', message);
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/form'),
        page.click('#demo-form button[type="submit"]'),
      ]);
      await page.waitForURL(`${stack.url}/form`, { waitUntil: 'load' });

      assert.equal(response.status(), 200);
      assert.equal(response.request().method(), 'POST');
      assert.ok((await response.text()).includes('<dd>&lt;b&gt;&amp;&quot;é&lt;/b&gt;</dd>'));
      assert.equal(await page.title(), 'Form received');

      const fields = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#fields dt')).map((dt) => [
          dt.textContent,
          dt.nextElementSibling?.textContent,
        ]),
      );
      // The browser submits the textarea's LF as CRLF; the HTML parser turns it back into LF in the DOM.
      assert.deepEqual(fields, [
        ['name', name],
        ['message', message],
      ]);
      const injected = await page.evaluate(() => ({
        elements: document.querySelectorAll('#fields b, #fields i, #fields script').length,
        pwned: (window as unknown as { pwned?: number }).pwned,
      }));
      assert.deepEqual(injected, { elements: 0, pwned: undefined });
    });
  });

  test('a JSON view shows its JSON and a missing page is a 404', async () => {
    await withPage(async (page) => {
      const api = await page.goto(`${stack.url}/api/hello/browser`);
      assert.equal(api?.status(), 200);
      assert.match(api?.headers()['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse((await page.textContent('body')) ?? ''), { hello: 'browser' });

      const missing = await page.goto(`${stack.url}/nope`);
      assert.equal(missing?.status(), 404);
    });
  });
});
