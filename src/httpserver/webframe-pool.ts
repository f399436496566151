import { connect } from 'node:net';
import { errors, type TandemError } from '../errors/catalogue.js';
import type { Logger } from '../log/logger.js';
import { ClientSession } from '../protocol/client-session.js';
import { errorCodeName } from '../protocol/frame-codec.js';

/** Options of the pool of connections to one webframe. */
export interface WebframePoolOptions {
  host: string;
  port: number;
  /** Multiplexed connections to hold at most, open and connecting together (default 2). */
  connections?: number;
  /**
   * How long a connect attempt may take, HELLO included, in ms (default 10000): a webframe on the fork model
   * starts a process for each connection before it says HELLO, which takes seconds on a loaded machine.
   */
  connectTimeout?: number;
  /**
   * A connection with no streams for this long is closed, in ms (default 60000). It must stay shorter than the
   * webframe's own idle timeout, or requests race a socket the webframe is closing.
   */
  idleTimeout?: number;
  log?: Logger;
}

/**
 * The credit httpserver grants each response stream (docs/protocol.md §5), so what one response may hold in
 * httpserver's memory while its client does not take it: 500 slow clients hold about 128 MiB. A window of
 * 1 MiB (the protocol's default) held four times that; it moved a single download on loopback 15–40% faster.
 */
const RESPONSE_WINDOW = 256 * 1024;

/*
 * After a failed attempt no new one is made for a backoff of 50 ms doubling up to 500 ms; meanwhile requests
 * that have no connection to wait for get 502 at once, and the pool probes the webframe itself when the
 * backoff ends if a request was refused. So a webframe that comes back is in use within about 500 ms without
 * waiting for a lucky request, and a webframe that is down sees at most two attempts a second per pool, and
 * none while no request wants it.
 */
const MIN_BACKOFF = 50;
const MAX_BACKOFF = 500;

/**
 * A request waiting for a stream (WebframePool.acquire). `onSession` must open its stream in that same call,
 * or not at all when the request no longer wants one: the pool counts streams by what the connection holds.
 */
export interface SessionWaiter {
  /** A connection that can take one more stream now. */
  onSession(session: ClientSession): void;
  /** No connection can be had: the webframe is unreachable or goes away at once, or the pool is closing. */
  onUnavailable(error: TandemError): void;
}

/**
 * A pool of persistent, multiplexed frame connections to the webframe. Requests go to the least busy
 * connection. The pool never holds more than `connections` connections, open and connecting together: a
 * request that finds every stream taken waits in line for one to end (the proxy's upstream timeout bounds
 * the wait). Lost connections are replaced on demand, with a short exponential backoff after failures so that a
 * webframe that is down gets 502s at once instead of a connect storm, and a probe when the backoff ends.
 */
export class WebframePool {
  readonly #options: Required<Omit<WebframePoolOptions, 'log'>>;
  readonly #log: Logger | undefined;
  #sessions: ClientSession[] = [];
  #connecting = false;
  #waiters: SessionWaiter[] = [];
  #failures = 0;
  #retryAt = 0;
  /** A request was refused during the backoff: probe the webframe when the backoff ends. */
  #probe: NodeJS.Timeout | undefined;
  #lastError = '';
  #closed = false;

  constructor(options: WebframePoolOptions) {
    this.#options = {
      host: options.host,
      port: options.port,
      connections: options.connections ?? 2,
      connectTimeout: options.connectTimeout ?? 10_000,
      idleTimeout: options.idleTimeout ?? 60_000,
    };
    this.#log = options.log;
  }

  /** The webframe address, as `host:port`. */
  get address(): string {
    const { host, port } = this.#options;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** Connections held now, open and connecting. */
  get size(): number {
    return this.#sessions.length + (this.#connecting ? 1 : 0);
  }

  /** Requests waiting for a stream. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Hands `waiter` a connection that can take one more stream: in this call when one can (no promise, no
   * turn of the event loop), else once one is connected or a stream ends, in line with the other waiters.
   * Tells it `onUnavailable` (a 502 error) when the webframe cannot be reached (or during the backoff after
   * that) and no connection is left to wait for, or when the pool is closed.
   */
  acquire(waiter: SessionWaiter): void {
    if (this.#closed) return waiter.onUnavailable(errors.HTTP_BAD_GATEWAY('httpserver is shutting down'));
    if (this.#waiters.length === 0) {
      const best = this.#pick();
      if (best !== undefined) {
        if (best.connection.activeStreams > 0) this.#grow(); // spread the load over a second connection
        return waiter.onSession(best);
      }
    }
    this.#waiters.push(waiter);
    this.#serve();
  }

  /** Takes `waiter` out of the line: its request gave up (timeout, client gone) before it had a stream. */
  forget(waiter: SessionWaiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i !== -1) this.#waiters.splice(i, 1);
  }

  /** Closes every connection gracefully (GOAWAY; open streams finish); requests still waiting get 502. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#probe);
    for (const s of this.#sessions) s.connection.close();
    this.#rejectWaiters(errors.HTTP_BAD_GATEWAY('httpserver is shutting down'));
  }

  /** The least busy connection with a stream free. */
  #pick(): ClientSession | undefined {
    let best: ClientSession | undefined;
    for (const s of this.#sessions) {
      if (
        s.freeStreams > 0 &&
        (best === undefined || s.connection.activeStreams < best.connection.activeStreams)
      ) {
        best = s;
      }
    }
    return best;
  }

  /** Hands free streams to the waiting requests in order; connects when there is room and a need. */
  #serve(): void {
    while (this.#waiters.length > 0) {
      const best = this.#pick();
      if (best === undefined) break;
      // It opens its stream in this call (or gives the stream up): the next pick sees the connection as it is.
      (this.#waiters.shift() as SessionWaiter).onSession(best);
    }
    if (this.#waiters.length === 0 || this.#connecting || this.size >= this.#options.connections) return;
    if (Date.now() < this.#retryAt) {
      // Nothing to wait for: no connection that a stream could end on. Fail now rather than storm.
      if (this.#sessions.length === 0) {
        this.#rejectWaiters(this.#unreachable());
        this.#probeLater();
      }
      return;
    }
    this.#connect();
  }

  /** Opens one more connection in the background when there is room and no backoff. */
  #grow(): void {
    if (this.#connecting || this.size >= this.#options.connections || Date.now() < this.#retryAt) return;
    this.#connect();
  }

  #connect(): void {
    this.#connecting = true;
    this.#openUsable().then(
      () => {
        this.#connecting = false;
        this.#serve();
      },
      (err: TandemError) => {
        this.#connecting = false;
        if (this.#sessions.length === 0 && this.#waiters.length > 0) {
          this.#rejectWaiters(err);
          this.#probeLater();
        } else this.#serve();
      },
    );
  }

  /** Tries the webframe again, without a request, once the backoff has passed (one timer at a time). */
  #probeLater(): void {
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = setTimeout(
      () => {
        this.#probe = undefined;
        if (Date.now() < this.#retryAt)
          this.#probeLater(); // a timer may fire a millisecond early
        else this.#grow();
      },
      Math.max(0, this.#retryAt - Date.now()),
    );
    this.#probe.unref();
  }

  #rejectWaiters(error: TandemError): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.onUnavailable(error);
  }

  #unreachable(): TandemError {
    return errors.HTTP_BAD_GATEWAY(`webframe at ${this.address} is unreachable (${this.#lastError})`);
  }

  /**
   * A connection that can take a stream. A webframe that says GOAWAY right after its HELLO (it is shutting
   * down, or refuses new streams) gets one fresh connection; if that one goes away too, the pool rejects
   * instead of handing out a session that would leave its request waiting for the upstream timeout.
   */
  async #openUsable(): Promise<ClientSession> {
    for (let attempt = 1; ; attempt++) {
      const session = await this.#open();
      if (session.available) return session;
      session.connection.close();
      const goAway = session.connection.peerGoAway;
      const why =
        goAway === undefined
          ? ''
          : ` (GOAWAY ${errorCodeName(goAway.code)}${goAway.message ? `: ${goAway.message}` : ''})`;
      if (attempt === 2) {
        this.#failed(`the webframe closed the connection right after HELLO${why}`);
        throw errors.HTTP_BAD_GATEWAY(
          `webframe at ${this.address} closed the connection right after HELLO${why}`,
        );
      }
    }
  }

  /** Counts a failed attempt: no new attempt before the backoff has passed. */
  #failed(error: string): void {
    this.#failures++;
    this.#retryAt = Date.now() + Math.min(MAX_BACKOFF, MIN_BACKOFF * 2 ** (this.#failures - 1));
    this.#lastError = error;
    this.#log?.warn({ webframe: this.address, error }, 'webframe connection failed');
  }

  async #open(): Promise<ClientSession> {
    const { host, port, connectTimeout, idleTimeout } = this.#options;
    const socket = connect({ host, port });
    const session = new ClientSession(socket, {
      initialWindow: RESPONSE_WINDOW,
      onError: (err, stream) =>
        this.#log?.error(
          { err, webframe: this.address, stream },
          'request failed while handling its response',
        ),
    });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no HELLO within ${connectTimeout} ms`)),
      connectTimeout,
    );
    let failure = '';
    socket.once('error', (err: NodeJS.ErrnoException) => {
      failure = err.code ?? err.message;
    });
    session.connection.start();
    try {
      await session.connection.ready;
    } catch (err) {
      // The socket's own error (ECONNREFUSED, the connect timeout) when there was one, else the frame
      // connection's: a bad HELLO is named as such, not as the timeout that would have followed it.
      this.#failed(failure || (err as Error).message);
      throw this.#unreachable();
    } finally {
      clearTimeout(timer);
    }
    if (!session.available) return session; // gone away already: #openUsable decides
    this.#failures = 0;
    this.#retryAt = 0;
    this.#sessions.push(session);
    socket.setTimeout(idleTimeout, () => {
      if (session.connection.activeStreams === 0) session.connection.close();
    });
    session.onStreamEnded = () => this.#serve();
    session.connection.onClose = (error) => {
      this.#sessions = this.#sessions.filter((s) => s !== session);
      if (error !== undefined)
        this.#log?.warn({ webframe: this.address, ...error }, 'webframe connection closed');
      this.#serve();
    };
    if (this.#closed) session.connection.close();
    return session;
  }
}
