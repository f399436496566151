import { execFile } from 'node:child_process';
import { type ExchangeOptions, RawHttpConnection } from './raw-http-connection.js';

/** What curl reports about one request. */
export interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits one raw HTTP response into its status, headers (lower-case names) and body. */
export function parseResponse(raw: string): CurlResult {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body: raw.slice(split + 4) };
}

/** Runs curl (a real HTTP client) and parses status, headers (lower-case names) and body. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-s', '-S', '-i', '--max-time', '30', ...args],
      { maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`curl ${args.join(' ')}: ${stderr || err.message}`));
        // Skip interim 100 Continue heads.
        let text = stdout;
        while (/^HTTP\/1\.1 100 /.test(text)) text = text.slice(text.indexOf('\r\n\r\n') + 4);
        resolve(parseResponse(text));
      },
    );
  });
}

/**
 * Sends raw bytes on a fresh TCP connection and resolves with everything received, as latin1 text, once the
 * expected responses came (RawHttpConnection.exchange); then hangs up.
 */
export async function rawExchange(
  port: number,
  bytes: string | Buffer,
  options: ExchangeOptions = {},
): Promise<string> {
  const connection = await RawHttpConnection.open(port);
  try {
    return await connection.exchange(bytes, options);
  } finally {
    connection.destroy();
  }
}
