import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../log/logger.js';
import { type LoadedApp, loadApp } from './index.js';

/** A response with its body read whole, its headers by lower-case name (set-cookie as an array). */
export interface ReadResponse {
  status: number;
  headers: Record<string, string | string[]>;
  bytes: Buffer;
  text: string;
}

/** Reads what `app.request` answered, body and all. */
export async function readResponse(responseOrPromise: Response | Promise<Response>): Promise<ReadResponse> {
  const response = await responseOrPromise;
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers, bytes, text: bytes.toString('utf8') };
}

/** A logger whose JSON lines are kept in `lines`, for asserting what was logged. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Writes `files` (relative path -> content) into a new temporary folder and returns its path. */
export async function writeApp(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'webframe-app-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** Loads an app written from `files` into a temporary folder, logging into `lines`. */
export async function appWith(
  files: Record<string, string>,
  overrides: { debug?: boolean } = {},
): Promise<{ app: LoadedApp; lines: Record<string, unknown>[] }> {
  const dir = await writeApp(files);
  const { logger, lines } = captureLogger();
  return { app: await loadApp(dir, { ...overrides, logger }), lines };
}
