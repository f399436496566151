import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { parseResponses, requestHeads, type WireParse, type WireResponse } from './wire-response.js';

/** How long one condition (a response, a close) may take on a busy machine. */
const PATIENCE = 10_000;

/** What `exchange` waits for; by default read from the request bytes. */
export interface ExchangeOptions {
  /** The final (non-1xx) responses that end the exchange; by default one per request sent, at least one. */
  responses?: number;
  /** The methods of the requests in order (a response to HEAD has no body); by default those sent. */
  methods?: readonly string[];
}

/**
 * One client connection of a conformance test: it sends bytes exactly as given (a misbehaving client's
 * included), keeps every byte the server sends, and frames them as responses (parseResponses) on demand.
 */
export class RawHttpConnection {
  readonly socket: Socket;
  /** When the connection was opened (performance.now()). */
  readonly openedAt = performance.now();
  /** When the server's FIN or the close came (performance.now()), undefined while open. */
  closedAt: number | undefined;
  /** The error the socket saw (ECONNRESET when the server reset it), if any. */
  error: NodeJS.ErrnoException | undefined;
  #chunks: Buffer[] = [];
  #received: Buffer | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#received = undefined;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (this.error = error));
    const closed = () => (this.closedAt ??= performance.now());
    socket.on('end', closed);
    socket.on('close', closed);
  }

  /** Connects to 127.0.0.1 `port`; resolves once connected. */
  static async open(port: number): Promise<RawHttpConnection> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const connection = new RawHttpConnection(socket);
    await once(socket, 'connect');
    return connection;
  }

  /** Every byte received so far. */
  get received(): Buffer {
    this.#received ??= Buffer.concat(this.#chunks);
    return this.#received;
  }

  /** Every byte received so far, as latin1 text. */
  get text(): string {
    return this.received.toString('latin1');
  }

  /** True once the server closed its side (FIN) or the connection is gone. */
  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Sends `bytes` (a string as latin1, one byte per character). */
  send(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** What has come so far, framed; `methods` are those of the requests sent, in order (HEAD matters). */
  parse(methods: readonly string[] = []): WireParse {
    return parseResponses(this.received, methods, this.closed);
  }

  /**
   * Waits until `count` final (non-1xx) responses have come whole, and resolves with every response so far,
   * interim ones included. Rejects at once when the bytes are not responses, or the server closed before.
   */
  async responses(count: number, methods: readonly string[] = []): Promise<WireResponse[]> {
    await this.#wait(() => {
      const finals = this.#finals(methods);
      if (finals < count && this.closed)
        throw new Error(`closed after ${finals} of ${count} responses: ${this.#shown()}`);
      return finals >= count;
    }, `${count} responses`);
    return this.parse(methods).responses;
  }

  /**
   * Waits until `count` final responses have come whole or the server closed, whichever is first, and resolves
   * with every response so far. Rejects at once when the bytes are not responses before the `count`-th ends;
   * what comes after it is left to the caller.
   */
  async responsesOrClose(count: number, methods: readonly string[] = []): Promise<WireResponse[]> {
    let parsed = this.parse(methods);
    await this.#wait(() => {
      parsed = this.parse(methods);
      if (parsed.responses.filter((r) => r.status >= 200).length >= count) return true;
      if (parsed.error !== undefined) throw new Error(`${parsed.error} in ${this.#shown()}`);
      return this.closed;
    }, `${count} responses or the close`);
    return parsed.responses;
  }

  /**
   * Sends `bytes` (requests) and resolves with everything received, as latin1 text, once the responses
   * expected came whole (counted from the first byte of the connection) or the server closed. When the last request or response says `Connection: close` it
   * waits for that close too, so that bytes sent after the response (a body for HEAD) are in the text.
   * Rejects when what comes is not HTTP responses, or it does not come within 10 s.
   */
  async exchange(bytes: string | Buffer, options: ExchangeOptions = {}): Promise<string> {
    const request = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    const heads = requestHeads(request);
    const methods = options.methods ?? heads.map((head) => head.split(' ', 1)[0] ?? '');
    this.send(request);
    const responses = await this.responsesOrClose(options.responses ?? Math.max(1, heads.length), methods);
    const last = responses.at(-1)?.headers.connection ?? '';
    if (/\bclose\b/i.test(last) || /\r\nconnection: *close\b/i.test(heads.at(-1) ?? '')) {
      await this.waitForClose();
    }
    return this.text;
  }

  /** Waits for `count` final responses and the server's close after them; rejects at once on more than that. */
  async responsesThenClose(count: number, methods: readonly string[] = []): Promise<WireResponse[]> {
    await this.#wait(() => {
      if (this.#finals(methods) > count) throw new Error(`more than ${count} responses: ${this.#shown()}`);
      return this.closed;
    }, `the server to close after ${count} responses`);
    const parsed = this.parse(methods);
    const finals = this.#finals(methods);
    if (finals !== count || parsed.pending > 0) {
      throw new Error(`expected ${count} responses then the close, got ${this.#shown()}`);
    }
    return parsed.responses;
  }

  /** How many final responses have come whole; throws when the bytes are not responses. */
  #finals(methods: readonly string[]): number {
    const parsed = this.parse(methods);
    if (parsed.error !== undefined) throw new Error(`${parsed.error} in ${this.#shown()}`);
    return parsed.responses.filter((r) => r.status >= 200).length;
  }

  /** What came so far, quoted and cut to a readable length, for messages. */
  #shown(): string {
    return JSON.stringify(this.text.slice(0, 2000));
  }

  /** Waits until the server closed the connection (its FIN, or a reset). */
  async waitForClose(ms = PATIENCE): Promise<void> {
    await this.#wait(() => this.closed, 'the server to close', ms);
  }

  /** Sends `byte` every `everyMs` (a slow client, steady as a clock) until the server closes; at most `ms`. */
  async trickleUntilClosed(byte: string, everyMs: number, ms: number): Promise<void> {
    const trickle = setInterval(() => this.send(byte), everyMs);
    try {
      await this.waitForClose(ms);
    } finally {
      clearInterval(trickle);
    }
  }

  /** The statuses of the responses that came whole, interim ones included. */
  statuses(): number[] {
    return this.parse().responses.map((r) => r.status);
  }

  /**
   * Resolves once `condition` holds, checked now and on each byte, FIN or close the socket sees (nothing else
   * changes what it reads), so a met condition is seen at once; rejects as it throws, or after `ms` with what
   * came so far in the message.
   */
  #wait(condition: () => boolean, what: string, ms = PATIENCE): Promise<void> {
    return new Promise((resolve, reject) => {
      const events = ['data', 'end', 'close'] as const;
      const settle = (error?: unknown) => {
        clearTimeout(timer);
        for (const event of events) this.socket.off(event, check);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = () => {
        try {
          if (condition()) settle();
        } catch (error) {
          settle(error);
        }
      };
      const timer = setTimeout(
        () => settle(new Error(`waited ${ms} ms for ${what}; got ${this.#shown()}`)),
        ms,
      );
      for (const event of events) this.socket.on(event, check);
      check();
    });
  }

  /** Closes this end at once. */
  destroy(): void {
    this.socket.destroy();
  }
}
