#!/usr/bin/env node
// `node bench/request-path.mjs [REPO]`: which of Tandem's modules a dynamic GET runs through. Starts a webframe
// (bench/app) and an httpserver in front of it, both `--model event`, under V8's precise coverage
// (NODE_V8_COVERAGE), sends REQUESTS keep-alive `GET /hello`s, stops both, and lists every module of dist/
// with a function called at least once per request, in each process. REPO defaults to this checkout (built),
// so the same script counts another commit's tree (`git worktree add /tmp/old REV && npm ci && npm run build`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const repo = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
const main = join(repo, 'dist/cli/main.js');
const app = fileURLToPath(new URL('./app', import.meta.url));

/** Starts `tandem ROLE ARGS` with coverage written to `dir`; resolves with the child once it logs its port. */
function start(role, args, dir) {
  const child = spawn(process.execPath, [main, role, ...args], {
    env: { ...process.env, NODE_V8_COVERAGE: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePort, reject) => {
    let text = '';
    // The listening line is JSON on stdout (httpserver) or stderr (webframe); access-log lines are dropped.
    const read = (chunk) => {
      text += chunk;
      const port = /"port":(\d+)/.exec(text);
      if (port !== null) resolvePort({ child, port: Number(port[1]) });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`tandem ${role} exited (${code}) before listening`)));
  });
}

function get(port, agent) {
  return new Promise((done, fail) => {
    request({ port, host: '127.0.0.1', path: '/hello', agent }, (res) => {
      res.resume();
      res.once('end', done);
    })
      .once('error', fail)
      .end();
  });
}

function stop(child) {
  return new Promise((done) => {
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}

/** Modules of `repo`'s dist/ that ran a function at least `times` times, from the coverage files in `dir`. */
function hotModules(dir, times) {
  const hot = new Set();
  const dist = pathToFileURL(join(repo, 'dist')).href;
  for (const name of readdirSync(dir)) {
    for (const script of JSON.parse(readFileSync(join(dir, name), 'utf8')).result) {
      if (!script.url.startsWith(dist)) continue;
      if (script.functions.some((fn) => fn.ranges[0].count >= times)) {
        hot.add(relative(join(repo, 'dist'), fileURLToPath(script.url)).replace(/\.js$/, '.ts'));
      }
    }
  }
  return [...hot].sort();
}

const webframeDir = mkdtempSync(join(tmpdir(), 'path-webframe-'));
const frontDir = mkdtempSync(join(tmpdir(), 'path-httpserver-'));
const webframe = await start('webframe', [app, '--port', '0', '--model', 'event'], webframeDir);
const front = await start(
  'httpserver',
  ['--port', '0', '--model', 'event', '--webframe', `127.0.0.1:${webframe.port}`],
  frontDir,
);
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
for (let i = 0; i < REQUESTS; i += 4) await Promise.all([0, 1, 2, 3].map(() => get(front.port, agent)));
agent.destroy();
await stop(front.child);
await stop(webframe.child);
const sides = { httpserver: hotModules(frontDir, REQUESTS), webframe: hotModules(webframeDir, REQUESTS) };
for (const [side, modules] of Object.entries(sides)) {
  console.log(`${side}: ${modules.length} modules`);
  for (const module of modules) console.log(`  ${module}`);
}
console.log(`distinct: ${new Set([...sides.httpserver, ...sides.webframe]).size}`);
rmSync(webframeDir, { recursive: true, force: true });
rmSync(frontDir, { recursive: true, force: true });
