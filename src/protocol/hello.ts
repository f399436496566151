import { ErrorCode, encodeJsonFrame, FrameType, MAX_U31 } from './frame-codec.js';

/** Limits one end of a connection announces in its HELLO (docs/protocol.md §4.1). */
export interface FrameLimits {
  /** Largest frame payload this end accepts. */
  maxFrameSize: number;
  /** Credit this end grants the peer on each new stream. */
  initialWindow: number;
  /** Open streams this end accepts at once. */
  maxStreams: number;
}

/** The defaults of docs/protocol.md §4.1. */
export const DEFAULT_LIMITS: Readonly<FrameLimits> = Object.freeze({
  maxFrameSize: 1 << 20,
  initialWindow: 1 << 20,
  maxStreams: 256,
});

/** This end's HELLO frame announcing `limits` (docs/protocol.md §3). */
export function encodeHello(limits: FrameLimits): Buffer {
  return encodeJsonFrame(FrameType.HELLO, 0, 0, {
    protocol: 'tandem',
    version: 1,
    maxFrameSize: limits.maxFrameSize,
    initialWindow: limits.initialWindow,
    maxStreams: limits.maxStreams,
  });
}

/**
 * The peer's limits from its HELLO payload (absent keys take the defaults), or the connection error to fail
 * with: UNSUPPORTED_VERSION for another protocol or version, PROTOCOL_ERROR for a limit out of its range.
 */
export function readHello(hello: Record<string, unknown>): FrameLimits | { code: number; message: string } {
  if (hello.protocol !== 'tandem' || hello.version !== 1) {
    return {
      code: ErrorCode.UNSUPPORTED_VERSION,
      message: `unsupported protocol ${JSON.stringify(hello.protocol)} version ${JSON.stringify(hello.version)}; this end speaks tandem 1`,
    };
  }
  const limits = { ...DEFAULT_LIMITS };
  const minimum: FrameLimits = { maxFrameSize: 16384, initialWindow: 0, maxStreams: 1 };
  for (const key of ['maxFrameSize', 'initialWindow', 'maxStreams'] as const) {
    const value = hello[key] ?? DEFAULT_LIMITS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum[key] || value > MAX_U31) {
      return {
        code: ErrorCode.PROTOCOL_ERROR,
        message: `HELLO ${key} must be an integer from ${minimum[key]} to ${MAX_U31}`,
      };
    }
    limits[key] = value;
  }
  return limits;
}
