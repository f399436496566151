import { errors } from '../errors/catalogue.js';

/** Parses a port flag (0 … 65535), or throws a usage error naming the flag. */
export function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw errors.CLI_USAGE(`${flag}: expected an integer from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}
