import type { Socket } from 'node:net';
import { errors } from '../errors/catalogue.js';
import { moduleName, requireHandlerModule } from './handler-module.js';
import { ModelWorker, type ModelWorkerEvents, stoppedByTerminal } from './model-worker.js';
import { connectionCapacity, openFilesLimit, RefusedConnections } from './open-files-limit.js';
import { reportToStderr } from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  HandlerModuleCall,
  HandlerSource,
  NetErrorReporter,
} from './types.js';
import { type WaitingConnection, WaitingConnections } from './waiting-connections.js';

/** How long to wait before replacing a worker that died before it was ready (a module that no longer loads). */
const FAILED_START_BACKOFF_MS = 1000;

/**
 * The `prefork` and `thread` models: a pool of `workers` long-lived workers started up front, each running the
 * handler module. `prefork` (Apache's prefork MPM, gunicorn's sync workers) runs worker processes and hands
 * each one the socket itself; `thread` runs worker threads, and since Node cannot hand a socket to a thread,
 * the main thread keeps it and relays its bytes (and serves datagrams, each reply coming back). Each
 * connection goes to the ready worker with the fewest open connections (ties in turn); while none is ready it
 * waits, paused. A worker that dies loses only what it was serving and is replaced.
 */
export class PoolModel implements ConcurrencyModel {
  readonly name: 'prefork' | 'thread';
  readonly #size: number;
  readonly #report: NetErrorReporter;
  readonly #label: string;
  /** Connections one worker may hold: a worker process has its own open-files limit (connectionCapacity). */
  readonly #capacity: number;
  readonly #refused: RefusedConnections | undefined;
  /** Every worker not yet exited, ready or starting. */
  readonly #all = new Set<ModelWorker>();
  /** Ready workers in dispatch order. */
  #ready: ModelWorker[] = [];
  /** Connections waiting for a ready worker. */
  readonly #pending = new WaitingConnections(() => this.#active--);
  readonly #backoffs = new Set<NodeJS.Timeout>();
  readonly #events: ModelWorkerEvents = {
    done: () => this.#active--,
    exit: (worker, code, signal, lost) => this.#exit(worker, code, signal, lost),
  };
  #state: 'new' | 'running' | 'closing' = 'new';
  #source: HandlerModuleCall | undefined;
  #active = 0;
  #next = 0;
  #closing: Promise<void> | undefined;
  #allExited: (() => void) | undefined;

  /** `workers`: how many processes or threads, a positive integer (createModel checks it). */
  constructor(
    name: 'prefork' | 'thread',
    options: { workers: number },
    report: NetErrorReporter = reportToStderr,
  ) {
    this.name = name;
    this.#size = options.workers;
    this.#report = report;
    this.#label = name === 'prefork' ? 'prefork worker' : 'thread model worker';
    // Worker processes inherit this process's open-files limit; each holds its own connections.
    const limit = name === 'prefork' ? openFilesLimit() : undefined;
    this.#capacity = limit === undefined ? Number.POSITIVE_INFINITY : connectionCapacity(limit);
    this.#refused = limit === undefined ? undefined : new RefusedConnections(this.#capacity, limit, report);
  }

  /** Connections and datagrams waiting for a worker or being served by one. */
  get active(): number {
    return this.#active;
  }

  /** The ids of the workers alive now, ready or starting: process ids (prefork) or thread ids (thread). */
  get workerIds(): number[] {
    return [...this.#all].map((worker) => worker.id);
  }

  /** Starts the workers; resolves once every one has loaded the handler. */
  async start(source: HandlerSource): Promise<void> {
    this.#source = requireHandlerModule(source, this.name);
    const started = Array.from({ length: this.#size }, () => this.#spawn());
    try {
      await Promise.all(started.map((worker) => worker.ready));
    } catch (err) {
      this.#state = 'closing';
      for (const worker of started) worker.kill();
      await Promise.all(started.map((worker) => worker.exited));
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
    if (worker !== undefined && !worker.serves.connections) {
      this.#refuse('the handler does not serve connections');
      socket.destroy();
      return;
    }
    if (worker !== undefined && worker.open >= this.#capacity) {
      // Every worker holds as many connections as its open-files limit allows: refuse, and say so.
      this.#refused?.add();
      socket.destroy();
      return;
    }
    this.#active++;
    if (worker !== undefined) return worker.serve(socket, info);
    this.#pending.add(socket, info);
  }

  serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    if (this.name === 'prefork') {
      this.#report(new Error('fork/prefork models serve stream transports only'), 'prefork model');
      return;
    }
    const worker = this.#state === 'running' ? this.#pick() : undefined;
    if (worker === undefined || !worker.serves.datagrams) {
      this.#refuse(worker === undefined ? 'no worker to serve it' : 'the handler does not serve datagrams');
      return;
    }
    this.#active++;
    worker.serveDatagram(message, from, reply);
  }

  reload(): void {
    for (const worker of this.#all) worker.reload();
  }

  /** Tells every worker to drain and finish; resolves once all of them have exited. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      for (const timer of this.#backoffs) clearTimeout(timer);
      this.#backoffs.clear();
      // Workers still starting serve what waits for them, then close (see #spawn).
      for (const worker of this.#ready) worker.close();
      this.#ready = [];
      this.#dropPendingIfNobodyLeft();
      if (this.#all.size > 0) await new Promise<void>((resolve) => (this.#allExited = resolve));
    })();
    return this.#closing;
  }

  cut(): number {
    let count = this.#pending.destroyAll();
    this.#active -= count;
    for (const worker of this.#all) count += worker.cut();
    return count;
  }

  #spawn(): ModelWorker {
    const kind = this.name === 'prefork' ? 'process' : 'thread';
    const options = { once: false, label: this.#label };
    const worker = new ModelWorker(kind, this.#source!, options, this.#events, this.#report);
    this.#all.add(worker);
    worker.ready.then(
      () => {
        if (!worker.alive) return;
        if (this.#state === 'closing') {
          for (let entry = this.#pending.shift(); entry !== undefined; entry = this.#pending.shift()) {
            this.#handOver(worker, entry);
          }
          worker.close();
          return;
        }
        this.#ready.push(worker);
        for (let entry = this.#pending.shift(); entry !== undefined; entry = this.#pending.shift()) {
          this.#handOver(this.#pick()!, entry);
        }
      },
      () => {},
    );
    return worker;
  }

  #handOver(worker: ModelWorker, entry: WaitingConnection): void {
    if (entry.socket.destroyed) this.#active--;
    else worker.serve(entry.socket, entry.info);
  }

  /** The ready worker with the fewest open connections; ties go round-robin. */
  #pick(): ModelWorker | undefined {
    const count = this.#ready.length;
    let best: ModelWorker | undefined;
    let bestIndex = 0;
    for (let i = 0; i < count; i++) {
      const index = (this.#next + i) % count;
      const worker = this.#ready[index]!;
      if (!worker.connected) continue; // dead, its exit not seen yet
      if (best === undefined || worker.open < best.open) {
        best = worker;
        bestIndex = index;
      }
    }
    this.#next = bestIndex + 1;
    return best;
  }

  #refuse(reason: string): void {
    const module = this.#source === undefined ? `${this.name} model` : moduleName(this.#source);
    this.#report(errors.APP_INVALID(module, reason), `${this.name} model`);
  }

  #exit(worker: ModelWorker, code: number | null, signal: NodeJS.Signals | null, lost: number): void {
    this.#all.delete(worker);
    this.#ready = this.#ready.filter((other) => other !== worker);
    this.#active -= lost;
    const how = signal ?? `code ${code}`;
    const byTerminal = stoppedByTerminal(signal);
    if (this.#state === 'running') {
      // A worker caught by a terminal's Ctrl-C: the stop that follows cancels its replacement, unsaid.
      const after = worker.isReady && !byTerminal ? 0 : FAILED_START_BACKOFF_MS;
      if (!byTerminal) {
        this.#report(
          new Error(
            `${this.#label} ${worker.id} exited (${how}); ${lost} connection(s) lost; starting a replacement`,
          ),
          `${this.name} model`,
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
      this.#report(
        new Error(`${this.#label} ${worker.id} exited (${how}) while closing`),
        `${this.name} model`,
      );
    }
    this.#dropPendingIfNobodyLeft();
    if (this.#all.size === 0) this.#allExited?.();
  }

  /** While closing, connections that wait for a worker are closed once no worker is left to serve them. */
  #dropPendingIfNobodyLeft(): void {
    if (this.#state !== 'closing' || this.#all.size > 0) return;
    this.#active -= this.#pending.destroyAll();
  }
}
