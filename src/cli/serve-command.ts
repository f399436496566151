import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { modelNameSchema, portSchema, workersSchema } from '../config/config-schemas.js';
import { validateFlag } from '../config/validate-config.js';
import { loadHttpServerConfig } from '../httpserver/config.js';
import { HTTPSERVER_OPTIONS } from './httpserver-command.js';
import { parseCommandLine } from './parse-flags.js';

/** Help text of `tandem serve`. */
export const SERVE_USAGE = `Usage: tandem serve [APP_DIR] [--host H] [--port P] [--webframe-port P] [--debug]
                    [--model loop|event|fork|prefork|thread] [--workers N]
                    [--engine llhttp|node] [--config FILE] [--static /PREFIX/=DIR]...

Starts the webframe for APP_DIR (default examples/site) and an httpserver in front of it,
as two processes. --host, --port, --engine, --config and --static are the httpserver's
(see tandem httpserver --help; default http://127.0.0.1:8808); the webframe listens where
the app's settings.ts says (default 127.0.0.1:8806), on --webframe-port if given. --model
and --workers are given to both. Ctrl-C, SIGTERM or SIGHUP stops both gracefully (requests in
flight finish); a second Ctrl-C or SIGTERM stops them at once. A webframe that dies is
restarted on the same port (after a growing pause if it keeps dying); if the httpserver
dies, the webframe is stopped and the reason printed.`;

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Pause before the first restart of a webframe that died; doubled after each quick death, up to the cap. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A webframe that ran this long before dying was healthy: its next restart starts over at the first pause. */
const RESTART_HEALTHY_MS = 10_000;

interface Listening {
  event: 'listening';
  host: string;
  port: number;
}

/** How a child that did not reach "listening" ended: an exit code (it printed why) or a signal. */
class StartFailed extends Error {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;

  constructor(role: string, code: number | null, signal: NodeJS.Signals | null) {
    super(`${role} exited during start (${signal ?? `code ${code}`})`);
    this.code = code;
    this.signal = signal;
  }
}

/** A child `tandem` process that has just been forked, and whether it reached "listening". */
interface Started {
  child: ChildProcess;
  /** Resolves with the address once the child listens; rejects with a StartFailed if it exits first. */
  listening: Promise<{ host: string; port: number }>;
}

/** A warning a child handed up (warn.ts): both children may say the same one, which is printed once. */
interface Warning {
  event: 'warning';
  message: string;
}

/** The warnings of this serve's children printed so far. */
const warned = new Set<string>();

/** Forks one child `tandem` process; `listening` settles once it listens or exits. */
function startChild(role: string, args: string[]): Started {
  // detached: a terminal's Ctrl-C goes to serve alone (a child still starting would die of it); serve stops the
  // children with SIGTERM, and a child whose serve is gone stops by itself (signals.ts).
  const child = fork(MAIN, [role, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const listening = new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.on('message', (message: Listening | Warning) => {
      if (message?.event === 'listening') resolve({ host: message.host, port: message.port });
      if (message?.event === 'warning' && !warned.has(message.message)) {
        warned.add(message.message);
        process.stderr.write(`tandem: warning: ${message.message}\n`);
      }
    });
    child.once('exit', (code, signal) => reject(new StartFailed(role, code, signal)));
  });
  listening.catch(() => {}); // a restarted webframe that fails to start is handled by its 'exit'
  return { child, listening };
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * The exit status of `serve` when a child failed to start. A child that exited with a code has printed its
 * one line (`tandem: cannot listen on …`): serve adds nothing and exits with that code (2 usage, 1 the rest).
 */
function startFailureStatus(err: unknown): number {
  if (err instanceof StartFailed && err.code !== null && err.code !== 0) return err.code;
  process.stderr.write(`tandem serve: ${(err as Error).message}\n`);
  return 1;
}

/** The `HOST:PORT` to reach a process that listens on `host`: a wildcard address is reached on loopback. */
function reachable(host: string, port: number): string {
  const to = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return to.includes(':') ? `[${to}]:${port}` : `${to}:${port}`;
}

/** `tandem serve`: webframe and httpserver as two processes, started, watched and stopped together. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { webframe: _, ...httpserverOptions } = HTTPSERVER_OPTIONS;
  const { values, positionals } = parseCommandLine(
    'serve',
    argv,
    { ...httpserverOptions, 'webframe-port': { type: 'string' } },
    ['APP_DIR'],
  );
  const { 'webframe-port': _webframePort, ...httpserverFlags } = values;
  // The httpserver's flags and config file are checked as it will check them, before anything starts: a
  // mistake in them is serve's one line and status, with no webframe started (and no port taken) for nothing.
  // Its warnings are the httpserver's to print.
  await loadHttpServerConfig(httpserverFlags, () => {});
  const appDir = positionals[0] ?? 'examples/site';
  const webframePort =
    values['webframe-port'] === undefined
      ? undefined
      : validateFlag(portSchema, values['webframe-port'], '--webframe-port');
  const shared = [
    ...(values.debug === true ? ['--debug'] : []),
    ...(values.model === undefined
      ? []
      : ['--model', validateFlag(modelNameSchema, values.model, '--model')]),
    ...(values.workers === undefined
      ? []
      : ['--workers', String(validateFlag(workersSchema, values.workers, '--workers'))]),
  ];
  // Without --webframe-port the webframe listens where the app's settings.ts says (its host too).
  const webframeArgs = (p: number | undefined) => [
    appDir,
    ...(p === undefined ? [] : ['--port', String(p)]),
    ...shared,
  ];
  // Checked above, and again by the httpserver itself.
  const frontArgs = [
    ...(values.host === undefined ? [] : ['--host', values.host]),
    ...(values.port === undefined ? [] : ['--port', values.port]),
    ...(values.engine === undefined ? [] : ['--engine', values.engine]),
    ...(values.config === undefined ? [] : ['--config', values.config]),
    ...(values.static ?? []).flatMap((entry) => ['--static', entry]),
  ];

  const children = new Set<ChildProcess>();
  let frontChild: ChildProcess | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const stopped = (child: ChildProcess | undefined) =>
    child === undefined || !running(child) ? undefined : new Promise((r) => child.once('exit', r));
  // The httpserver first, the webframe once it is gone: requests the httpserver is finishing still need the
  // webframe. Each child drains within its own deadline (timeouts.drain, --drain-timeout); no timer here.
  const stopAll = async (code: number) => {
    stopping = true;
    clearTimeout(restartTimer);
    if (frontChild !== undefined && running(frontChild)) frontChild.kill('SIGTERM');
    await stopped(frontChild);
    for (const child of children) if (running(child)) child.kill('SIGTERM');
    await Promise.all([...children].map(stopped));
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === 'SIGHUP') return;
      for (const child of children) if (running(child)) child.kill('SIGKILL');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    if (signal === 'SIGHUP') process.stderr.write('tandem serve: SIGHUP, no reload yet: a graceful stop\n');
    void stopAll(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const track = (child: ChildProcess) => {
    children.add(child);
    child.once('exit', () => children.delete(child));
  };

  const first = startChild('webframe', webframeArgs(webframePort));
  track(first.child);
  // The port the webframe first bound: the httpserver is told it, so every restart binds it again.
  let bound: { host: string; port: number };
  try {
    bound = await first.listening;
  } catch (err) {
    if (stopping) return; // stopped while starting: stopAll exits
    process.exit(startFailureStatus(err));
  }
  const boundPort = bound.port;

  let pause = RESTART_FIRST_MS;
  const watchWebframe = (child: ChildProcess, startedAt: number) => {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const lived = Date.now() - startedAt;
      if (lived >= RESTART_HEALTHY_MS) pause = RESTART_FIRST_MS;
      process.stderr.write(
        `tandem serve: webframe exited (${signal ?? `code ${code}`}) after ${lived} ms; ` +
          `restarting it on port ${boundPort} in ${pause} ms\n`,
      );
      restartTimer = setTimeout(() => {
        if (stopping) return;
        const next = startChild('webframe', webframeArgs(boundPort));
        track(next.child);
        watchWebframe(next.child, Date.now());
      }, pause);
      pause = Math.min(pause * 2, RESTART_MAX_MS);
    });
  };
  watchWebframe(first.child, Date.now());

  const front = startChild('httpserver', [
    ...frontArgs,
    '--webframe',
    reachable(bound.host, boundPort),
    ...shared,
  ]);
  track(front.child);
  frontChild = front.child;
  let frontAddress: { host: string; port: number };
  try {
    frontAddress = await front.listening;
  } catch (err) {
    if (!stopping) void stopAll(startFailureStatus(err));
    return;
  }
  front.child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(
      `tandem serve: httpserver exited (${signal ?? `code ${code}`}); stopping the webframe\n`,
    );
    void stopAll(1);
  });
  const shown = frontAddress.host.includes(':') ? `[${frontAddress.host}]` : frontAddress.host;
  process.stdout.write(
    `Tandem is serving ${appDir} at http://${shown}:${frontAddress.port}/ (Ctrl-C stops)\n`,
  );
}
