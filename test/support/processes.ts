import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI, started the way a user starts it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A running tandem (or other) process with what it printed so far. */
export interface Running {
  proc: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Spawns `command args` and resolves once a line of its output matches `ready` (capture group 1 is the port);
 * rejects with everything it printed if it exits first or takes longer than 15 s. `detached` gives it a process
 * group of its own (its pid), as a shell does for a job: `process.kill(-pid, 'SIGINT')` is then Ctrl-C.
 */
export function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  options: { detached?: boolean } = {},
): Promise<Running> {
  const proc = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start in 15 s\nstdout: ${out}\nstderr: ${err}`));
    }, 15_000);
    const check = () => {
      const match = ready.exec(out + err);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        proc,
        port: Number(match[1]),
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
          proc.kill('SIGTERM');
          const [code] = await once(proc, 'exit');
          return code as number | null;
        },
      });
    };
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      check();
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** `tandem webframe APP --port 0 …`, resolved once it listens. */
export function startWebframe(appDir: string, extra: string[] = []): Promise<Running> {
  return startProcess(
    process.execPath,
    [CLI, 'webframe', appDir, '--port', '0', ...extra],
    /webframe listening on [^ ]+:(\d+)/,
  );
}

/** `tandem httpserver --port 0 --webframe 127.0.0.1:PORT …`, resolved once it listens. */
export function startHttpServer(webframePort: number, extra: string[] = []): Promise<Running> {
  return startProcess(
    process.execPath,
    [CLI, 'httpserver', '--port', '0', '--webframe', `127.0.0.1:${webframePort}`, ...extra],
    /httpserver listening on https?:\/\/[^:]+:(\d+)/,
  );
}

/** webframe and httpserver for `appDir`, as two processes; `stop` stops both. */
export async function startStack(
  appDir: string,
  options: { webframe?: string[]; httpserver?: string[] } = {},
): Promise<{ webframe: Running; httpserver: Running; url: string; stop: () => Promise<void> }> {
  const webframe = await startWebframe(appDir, options.webframe);
  const httpserver = await startHttpServer(webframe.port, options.httpserver);
  return {
    webframe,
    httpserver,
    url: `http://127.0.0.1:${httpserver.port}`,
    stop: async () => {
      await Promise.all([httpserver.stop(), webframe.stop()]);
    },
  };
}

/** Resident memory of process `pid` and its children (a prefork model's workers), in MiB. */
export function treeRssMiB(pid: number): number {
  const pids = [pid];
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (children.length > 0) pids.push(...children.split(/\s+/).map(Number));
  } catch {
    // the process is gone: it holds nothing
  }
  let kib = 0;
  for (const p of pids) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kib / 1024;
}
