import { createServer, type Server, type Socket } from 'node:net';
import {
  encodeFrame,
  encodeJsonFrame,
  type Frame,
  FrameDecoder,
  FrameFlag,
  FrameType,
} from '../../src/protocol/frame-codec.js';

/** What a scripted answer sends for one stream: raw frames, written as they are, after `delay` ms. */
export interface ScriptedAnswer {
  delay?: number;
  frames: (stream: number) => Buffer[];
}

/** A response HEAD frame with `head` as its JSON payload. */
export function headFrame(stream: number, head: object, end: boolean): Buffer {
  return encodeJsonFrame(FrameType.HEAD, end ? FrameFlag.END_STREAM : 0, stream, head);
}

/** A DATA frame carrying `body`. */
export function dataFrame(stream: number, body: string | Buffer, end: boolean): Buffer {
  return encodeFrame(FrameType.DATA, end ? FrameFlag.END_STREAM : 0, stream, Buffer.from(body));
}

/**
 * A webframe that misbehaves on purpose, for tests of what httpserver does with a bad peer: it speaks just
 * enough of the frame protocol (HELLO, then one scripted answer per request HEAD, chosen by the request's
 * `info`) and ignores everything else. Listens on 127.0.0.1, port 0.
 */
export class FakeWebframe {
  readonly #server: Server;
  readonly #script: (info: string) => ScriptedAnswer;
  readonly #sockets = new Set<Socket>();

  constructor(script: (info: string) => ScriptedAnswer) {
    this.#script = script;
    this.#server = createServer((socket) => this.#serve(socket));
  }

  /** Starts listening; resolves with the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as { port: number }).port;
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(encodeJsonFrame(FrameType.HELLO, 0, 0, { protocol: 'tandem', version: 1 }));
    const decoder = new FrameDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (frame: Frame) => {
        if (frame.type !== FrameType.HEAD) return;
        const { info } = JSON.parse(frame.payload.toString('utf8')) as { info: string };
        const answer = this.#script(info);
        const send = () => {
          if (!socket.destroyed) socket.write(Buffer.concat(answer.frames(frame.stream)));
        };
        if (answer.delay === undefined) send();
        else setTimeout(send, answer.delay);
      });
    });
  }
}
