/** The longest command line accepted, in bytes without its line end. */
export const MAX_LINE_BYTES = 4096;

/** One item read from the control connection. */
export type ControlInput = { kind: 'line'; text: string } | { kind: 'too-long' } | { kind: 'not-utf8' };

const IAC = 0xff;
const CR = 0x0d;
const LF = 0x0a;
/** Telnet WILL, WONT, DO, DONT: followed by one option byte (RFC 854). */
const OPTION_MIN = 0xfb;
/** Telnet commands without an option byte: SE … GA and SB (RFC 854). */
const COMMAND_MIN = 0xf0;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits the control connection's bytes into command lines, as vsftpd and pyftpdlib do: a line ends at
 * CRLF, a bare LF or a bare CR (a LF right after a CR is part of that line end). The bare CR matters for
 * `ABOR` sent as urgent data (Python's ftplib sends `ABOR\r\n` with MSG_OOB, and the kernel keeps the
 * last byte out of band). Telnet sequences are removed (RFC 959 §4.1.3: `IAC IP IAC DM ABOR`), `IAC IAC`
 * stands for 0xFF. A line longer than MAX_LINE_BYTES is dropped up to its end and reported once; a line
 * that is not UTF-8 (RFC 2640) is reported as such.
 */
export class ControlLineSplitter {
  readonly #line = new Uint8Array(MAX_LINE_BYTES);
  #length = 0;
  #overflow = false;
  #afterCr = false;
  /** 0: data, 1: after IAC, 2: after IAC WILL/WONT/DO/DONT. */
  #telnet = 0;

  /** Feeds bytes; returns the complete lines (and problems) they finish, in order. */
  push(chunk: Uint8Array): ControlInput[] {
    const out: ControlInput[] = [];
    for (const byte of chunk) {
      if (this.#telnet === 2) {
        this.#telnet = 0;
        continue;
      }
      if (this.#telnet === 1) {
        this.#telnet = 0;
        if (byte >= OPTION_MIN && byte !== IAC) {
          this.#telnet = 2;
          continue;
        }
        if (byte >= COMMAND_MIN && byte !== IAC) continue;
        // IAC IAC is a data 0xFF; IAC before an ordinary byte (its DM went out of band) is dropped alone.
        if (byte === IAC) {
          this.#add(byte);
          continue;
        }
      } else if (byte === IAC) {
        this.#telnet = 1;
        continue;
      }
      if (byte === LF && this.#afterCr) {
        this.#afterCr = false;
        continue;
      }
      this.#afterCr = byte === CR;
      if (byte === CR || byte === LF) {
        const item = this.#end();
        if (item !== undefined) out.push(item);
        continue;
      }
      this.#add(byte);
    }
    return out;
  }

  #add(byte: number): void {
    this.#afterCr = false;
    if (this.#length === MAX_LINE_BYTES) this.#overflow = true;
    else this.#line[this.#length++] = byte;
  }

  #end(): ControlInput | undefined {
    const length = this.#length;
    const overflow = this.#overflow;
    this.#length = 0;
    this.#overflow = false;
    if (overflow) return { kind: 'too-long' };
    if (length === 0) return undefined;
    try {
      return { kind: 'line', text: utf8.decode(this.#line.subarray(0, length)) };
    } catch {
      return { kind: 'not-utf8' };
    }
  }
}
