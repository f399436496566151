import { connect } from 'node:net';
import { errors } from '../errors/catalogue.js';
import type { Logger } from '../log/logger.js';
import { ClientSession } from '../protocol/client-session.js';
import { errorCodeName } from '../protocol/frame-codec.js';

/** Options of the pool of connections to one webframe. */
export interface WebframePoolOptions {
  host: string;
  port: number;
  /** Persistent multiplexed connections to keep at most (default 2). */
  connections?: number;
  /** How long a connect attempt may take, in ms (default 2000). */
  connectTimeout?: number;
  /**
   * A connection with no streams for this long is closed, in ms (default 60000). It must stay shorter than the
   * webframe's own idle timeout, or requests race a socket the webframe is closing.
   */
  idleTimeout?: number;
  log?: Logger;
}

const MIN_BACKOFF = 100;
const MAX_BACKOFF = 5000;

/**
 * A pool of persistent, multiplexed frame connections to the webframe. Requests go to the least busy
 * connection; lost connections are replaced on demand, with exponential backoff after failures so that a
 * webframe that is down gets 502s at once instead of a connect storm.
 */
export class WebframePool {
  readonly #options: Required<Omit<WebframePoolOptions, 'log'>>;
  readonly #log: Logger | undefined;
  #sessions: ClientSession[] = [];
  #connecting: Promise<ClientSession> | undefined;
  #failures = 0;
  #retryAt = 0;
  #lastError = '';
  #closed = false;

  constructor(options: WebframePoolOptions) {
    this.#options = {
      host: options.host,
      port: options.port,
      connections: options.connections ?? 2,
      connectTimeout: options.connectTimeout ?? 2000,
      idleTimeout: options.idleTimeout ?? 60_000,
    };
    this.#log = options.log;
  }

  /** The webframe address, as `host:port`. */
  get address(): string {
    const { host, port } = this.#options;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** A ready connection that can take one more stream now, or undefined (then call `connect`). */
  pick(): ClientSession | undefined {
    let best: ClientSession | undefined;
    for (const s of this.#sessions) {
      if (s.available && (best === undefined || s.activeStreams < best.activeStreams)) best = s;
    }
    if (best !== undefined && best.activeStreams > 0 && this.#sessions.length < this.#options.connections) {
      void this.connect().catch(() => {}); // grow the pool in the background
    }
    return best;
  }

  /** A connection for one more stream, connecting when none is available; rejects with a 502 error. */
  async session(): Promise<ClientSession> {
    return this.pick() ?? (await this.connect());
  }

  /** Opens one more connection (one at a time); rejects with HTTP_BAD_GATEWAY when the webframe cannot be reached. */
  connect(): Promise<ClientSession> {
    if (this.#closed) return Promise.reject(errors.HTTP_BAD_GATEWAY('httpserver is shutting down'));
    if (this.#connecting !== undefined) return this.#connecting;
    if (Date.now() < this.#retryAt) {
      return Promise.reject(
        errors.HTTP_BAD_GATEWAY(`webframe at ${this.address} is unreachable (${this.#lastError})`),
      );
    }
    this.#connecting = this.#openUsable().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Closes every connection gracefully (GOAWAY; open streams finish). */
  close(): void {
    this.#closed = true;
    for (const s of this.#sessions) s.close();
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
      session.close();
      const goAway = session.peerGoAway;
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
    session.start();
    try {
      await session.ready;
    } catch (err) {
      // The socket's own error (ECONNREFUSED, the connect timeout) when there was one, else the frame
      // connection's: a bad HELLO is named as such, not as the timeout that would have followed it.
      this.#failed(failure || (err as Error).message);
      throw errors.HTTP_BAD_GATEWAY(`webframe at ${this.address} is unreachable (${this.#lastError})`);
    } finally {
      clearTimeout(timer);
    }
    if (!session.available) return session; // gone away already: #openUsable decides
    this.#failures = 0;
    this.#retryAt = 0;
    this.#sessions.push(session);
    socket.setTimeout(idleTimeout, () => {
      if (session.activeStreams === 0) session.close();
    });
    session.onClose = (error) => {
      this.#sessions = this.#sessions.filter((s) => s !== session);
      if (error !== undefined)
        this.#log?.warn({ webframe: this.address, ...error }, 'webframe connection closed');
    };
    if (this.#closed) session.close();
    return session;
  }
}
