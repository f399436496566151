import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  encodeCodeFrame,
  encodeFrame,
  encodeJsonFrame,
  type Frame,
  FrameDecoder,
  FrameFlag,
  FrameType,
  MAX_U31,
} from './frame-codec.js';

/** One raw frame connection of a test peer: it decodes what arrives and sends whatever frames the test says. */
export class RawConnection {
  readonly socket: Socket;
  /** Every frame received so far, in order. */
  readonly frames: Frame[] = [];
  /** Called for each frame as it arrives. */
  onFrame: ((frame: Frame) => void) | undefined;
  readonly #decoder = new FrameDecoder(MAX_U31);

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) =>
      this.#decoder.push(chunk, (frame) => {
        this.frames.push(frame);
        this.onFrame?.(frame);
      }),
    );
  }

  /** Sends a HELLO; `fields` replace or add keys (a bad limit, say). */
  hello(fields: Record<string, unknown> = {}): void {
    this.socket.write(encodeJsonFrame(FrameType.HELLO, 0, 0, { protocol: 'tandem', version: 1, ...fields }));
  }

  /** Sends GOAWAY with `lastStreamId`, `code` and `message`. */
  goAway(lastStreamId = 0, code = 0, message = ''): void {
    this.socket.write(encodeCodeFrame(FrameType.GOAWAY, 0, [lastStreamId, code], message));
  }

  /** Answers stream `id` with a whole response in its HEAD. */
  answer(id: number, status: number, data: string): void {
    this.socket.write(encodeJsonFrame(FrameType.HEAD, FrameFlag.END_STREAM, id, { status, data }));
  }

  /** Sends a PING with an 8-byte payload. */
  ping(payload = Buffer.alloc(8)): void {
    this.socket.write(encodeFrame(FrameType.PING, 0, 0, payload));
  }
}

/** Connects to a webframe on 127.0.0.1 `port` as a raw frame client (httpserver's side); resolves once connected. */
export async function connectRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return new RawConnection(socket);
}

/** A TCP listener on 127.0.0.1 whose every connection `onConnection` drives frame by frame. */
export interface RawListener {
  port: number;
  /** Every connection accepted so far. */
  connections: RawConnection[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 port 0 and hands each connection, as a RawConnection, to `onConnection`. */
export async function listenRaw(onConnection: (c: RawConnection) => void): Promise<RawListener> {
  const connections: RawConnection[] = [];
  const server: Server = createServer((socket) => {
    const c = new RawConnection(socket);
    connections.push(c);
    onConnection(c);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    close: async () => {
      for (const c of connections) c.socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fake webframe connection that says HELLO and answers every request HEAD with 200 `ok`. */
export function answerEverything(c: RawConnection, hello: Record<string, unknown> = {}): void {
  c.hello(hello);
  c.onFrame = (frame) => {
    if (frame.type === FrameType.HEAD) c.answer(frame.stream, 200, 'ok');
  };
}
