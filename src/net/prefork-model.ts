import type { Socket } from 'node:net';
import { errors } from '../errors/catalogue.js';
import { ForkedChild, type ForkedChildEvents, stoppedByTerminal } from './forked-child.js';
import { connectionCapacity, openFilesLimit, RefusedConnections } from './open-files-limit.js';
import { reportToStderr, requireHandlerModule } from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  HandlerModule,
  HandlerSource,
  NetErrorReporter,
} from './types.js';

/** How long to wait before replacing a worker that died before it was ready (a module that no longer loads). */
const FAILED_START_BACKOFF_MS = 1000;

/** A connection waiting for a ready worker; its socket stays paused. */
interface Pending {
  socket: Socket;
  info: ConnectionInfo;
}

/**
 * The `prefork` model (Apache's prefork MPM, gunicorn's sync workers): `workers` long-lived child processes
 * started up front; each connection goes to the worker with the fewest open connections (ties in turn). A
 * worker that dies loses only its own connections and is replaced at once. Needs a handler module; serves
 * stream transports only.
 */
export class PreforkModel implements ConcurrencyModel {
  readonly name = 'prefork' as const;
  readonly #size: number;
  readonly #report: NetErrorReporter;
  /** Connections one worker may hold (connectionCapacity of the open-files limit). */
  readonly #capacity: number;
  readonly #refused: RefusedConnections | undefined;
  /** Every child not yet exited, ready or starting. */
  readonly #children = new Set<ForkedChild>();
  /** Ready workers in dispatch order. */
  #workers: ForkedChild[] = [];
  readonly #pending: Pending[] = [];
  readonly #backoffs = new Set<NodeJS.Timeout>();
  readonly #events: ForkedChildEvents = {
    done: () => this.#active--,
    exit: (child, code, signal, lost) => this.#exit(child, code, signal, lost),
  };
  #state: 'new' | 'running' | 'closing' = 'new';
  #source: HandlerModule | undefined;
  #active = 0;
  #next = 0;
  #closing: Promise<void> | undefined;
  #allExited: (() => void) | undefined;

  constructor(options: { workers: number }, report: NetErrorReporter = reportToStderr) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw errors.CLI_USAGE(`prefork model: workers must be a positive integer, got ${options.workers}`);
    }
    this.#size = options.workers;
    this.#report = report;
    // Workers inherit this process's open-files limit; each holds its own connections.
    const limit = openFilesLimit();
    this.#capacity = limit === undefined ? Number.POSITIVE_INFINITY : connectionCapacity(limit);
    this.#refused = limit === undefined ? undefined : new RefusedConnections(this.#capacity, limit, report);
  }

  /** Connections waiting for a worker or being served by one. */
  get active(): number {
    return this.#active;
  }

  /** The process ids of the workers alive now, ready or starting. */
  get pids(): number[] {
    return [...this.#children].map((child) => child.pid);
  }

  /** Forks the workers; resolves once every one has loaded the handler. */
  async start(source: HandlerSource): Promise<void> {
    this.#source = requireHandlerModule(source, 'prefork');
    const started = Array.from({ length: this.#size }, () => this.#spawn());
    try {
      await Promise.all(started.map((child) => child.ready));
    } catch (err) {
      this.#state = 'closing';
      for (const child of started) child.kill();
      await Promise.all(started.map((child) => child.exited));
      throw err;
    }
    this.#state = 'running';
  }

  serveConnection(socket: Socket, info: ConnectionInfo): void {
    if (this.#state !== 'running') {
      socket.destroy();
      return;
    }
    socket.on('error', () => {}); // a waiting client that gives up must not crash the server
    const worker = this.#pick();
    if (worker !== undefined && worker.open >= this.#capacity) {
      // Every worker holds as many connections as its open-files limit allows: refuse, and say so.
      this.#refused?.add();
      socket.destroy();
      return;
    }
    this.#active++;
    if (worker !== undefined) return worker.serve(socket, info);
    const entry: Pending = { socket, info };
    this.#pending.push(entry);
    socket.once('close', () => {
      const index = this.#pending.indexOf(entry);
      if (index === -1) return;
      this.#pending.splice(index, 1);
      this.#active--;
    });
  }

  serveDatagram(_message: Buffer, _from: DatagramInfo, _reply: (data: Uint8Array) => void): void {
    this.#report(new Error('fork/prefork models serve stream transports only'), 'prefork model');
  }

  /** Tells every worker to drain and finish; resolves once all of them have exited. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      for (const timer of this.#backoffs) clearTimeout(timer);
      this.#backoffs.clear();
      // Workers still starting serve what waits for them, then close (see #spawn).
      for (const worker of this.#workers) worker.close();
      this.#workers = [];
      this.#dropPendingIfNobodyLeft();
      if (this.#children.size > 0) await new Promise<void>((resolve) => (this.#allExited = resolve));
    })();
    return this.#closing;
  }

  cut(): number {
    let count = 0;
    for (let entry = this.#pending.shift(); entry !== undefined; entry = this.#pending.shift()) {
      entry.socket.destroy();
      this.#active--;
      count++;
    }
    for (const child of this.#children) count += child.cut();
    return count;
  }

  #spawn(): ForkedChild {
    const child = ForkedChild.spawn(
      this.#source!,
      { once: false, label: 'prefork worker' },
      this.#events,
      this.#report,
    );
    this.#children.add(child);
    child.ready.then(
      () => {
        if (!child.alive) return;
        if (this.#state === 'closing') {
          for (let entry = this.#pending.shift(); entry !== undefined; entry = this.#pending.shift()) {
            this.#handOver(child, entry);
          }
          child.close();
          return;
        }
        this.#workers.push(child);
        for (let entry = this.#pending.shift(); entry !== undefined; entry = this.#pending.shift()) {
          this.#handOver(this.#pick()!, entry);
        }
      },
      () => {},
    );
    return child;
  }

  #handOver(worker: ForkedChild, entry: Pending): void {
    if (entry.socket.destroyed) this.#active--;
    else worker.serve(entry.socket, entry.info);
  }

  /** The ready worker with the fewest open connections; ties go round-robin. */
  #pick(): ForkedChild | undefined {
    const count = this.#workers.length;
    let best: ForkedChild | undefined;
    let bestIndex = 0;
    for (let i = 0; i < count; i++) {
      const index = (this.#next + i) % count;
      const worker = this.#workers[index]!;
      if (!worker.connected) continue; // dead, its exit not seen yet
      if (best === undefined || worker.open < best.open) {
        best = worker;
        bestIndex = index;
      }
    }
    this.#next = bestIndex + 1;
    return best;
  }

  #exit(child: ForkedChild, code: number | null, signal: NodeJS.Signals | null, lost: number): void {
    this.#children.delete(child);
    this.#workers = this.#workers.filter((worker) => worker !== child);
    this.#active -= lost;
    const how = signal ?? `code ${code}`;
    const byTerminal = stoppedByTerminal(signal);
    if (this.#state === 'running') {
      // A worker caught by a terminal's Ctrl-C: the stop that follows cancels its replacement, unsaid.
      const after = child.isReady && !byTerminal ? 0 : FAILED_START_BACKOFF_MS;
      if (!byTerminal) {
        this.#report(
          new Error(
            `prefork worker ${child.pid} exited (${how}); ${lost} connection(s) lost; starting a replacement`,
          ),
          'prefork model',
        );
      }
      if (after === 0) this.#spawn();
      else {
        const timer = setTimeout(() => {
          this.#backoffs.delete(timer);
          if (this.#state === 'running') this.#spawn();
        }, after);
        this.#backoffs.add(timer);
      }
    } else if (code !== 0 && !byTerminal && this.#state === 'closing') {
      this.#report(new Error(`prefork worker ${child.pid} exited (${how}) while closing`), 'prefork model');
    }
    this.#dropPendingIfNobodyLeft();
    if (this.#children.size === 0) this.#allExited?.();
  }

  /** While closing, connections that wait for a worker are closed once no worker is left to serve them. */
  #dropPendingIfNobodyLeft(): void {
    if (this.#state !== 'closing' || this.#children.size > 0) return;
    for (let entry = this.#pending.shift(); entry !== undefined; entry = this.#pending.shift()) {
      entry.socket.destroy();
      this.#active--;
    }
  }
}
