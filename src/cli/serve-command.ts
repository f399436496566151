import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePort } from './parse-flags.js';

/** Help text of `tandem serve`. */
export const SERVE_USAGE = `Usage: tandem serve [APP_DIR] [--host H] [--port P] [--webframe-port P] [--debug]

Starts the webframe for APP_DIR (default examples/site) and an httpserver in front of it,
as two processes (default http://127.0.0.1:8808, webframe on 127.0.0.1:8806).
Ctrl-C stops both; if either dies, the other is stopped and the reason printed.`;

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

interface Listening {
  event: 'listening';
  host: string;
  port: number;
}

/** Starts one child `tandem` process and resolves once it listens; rejects if it exits first. */
function startChild(role: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(MAIN, [role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (message: Listening) => {
      if (message?.event === 'listening') resolve({ child, port: message.port });
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`${role} exited during start (${signal ?? `code ${code}`})`)),
    );
  });
}

/** `tandem serve`: webframe and httpserver as two processes, started, watched and stopped together. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'webframe-port': { type: 'string' },
      debug: { type: 'boolean' },
    },
  });
  const appDir = positionals[0] ?? 'examples/site';
  const host = values.host ?? '127.0.0.1';
  const port = parsePort(values.port ?? '8808', '--port');
  const webframePort = parsePort(values['webframe-port'] ?? '8806', '--webframe-port');
  const debug = values.debug === true ? ['--debug'] : [];

  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = (code: number) => {
    stopping = true;
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const child of children) child.kill('SIGKILL');
    }, 5000);
    force.unref();
    Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
      ),
    ).then(() => process.exit(code));
  };
  const watch = (role: string, child: ChildProcess) => {
    children.push(child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `tandem serve: ${role} exited (${signal ?? `code ${code}`}); stopping the other process\n`,
      );
      stopAll(1);
    });
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  const webframe = await startChild('webframe', [
    appDir,
    '--host',
    '127.0.0.1',
    '--port',
    String(webframePort),
    ...debug,
  ]);
  watch('webframe', webframe.child);
  let front: { child: ChildProcess; port: number };
  try {
    front = await startChild('httpserver', [
      '--host',
      host,
      '--port',
      String(port),
      '--webframe',
      `127.0.0.1:${webframe.port}`,
      ...debug,
    ]);
  } catch (err) {
    process.stderr.write(`tandem serve: ${(err as Error).message}; stopping the webframe\n`);
    stopAll(1);
    return;
  }
  watch('httpserver', front.child);
  process.stdout.write(`Tandem is serving ${appDir} at http://${host}:${front.port}/ (Ctrl-C stops)\n`);
}
