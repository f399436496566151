import { errors } from '../errors/catalogue.js';
import { MODEL_NAMES } from '../net/models.js';
import type { ModelName } from '../net/types.js';

/** Parses a port flag (0 … 65535), or throws a usage error naming the flag. */
export function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw errors.CLI_USAGE(`${flag}: expected an integer from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

/** Parses a count flag such as `--workers` (1 … 256), or throws a usage error naming the flag. */
export function parseCount(text: string, flag: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > 256) {
    throw errors.CLI_USAGE(`${flag}: expected an integer from 1 to 256, got ${JSON.stringify(text)}`);
  }
  return count;
}

/** Parses a duration flag in ms such as `--drain-timeout` (0 … 2147483647), or throws a usage error. */
export function parseMillis(text: string, flag: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms > 2_147_483_647) {
    throw errors.CLI_USAGE(
      `${flag}: expected milliseconds, an integer from 0 to 2147483647, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/** Parses `--model`, or throws a usage error listing the models. */
export function parseModel(text: string): ModelName {
  if ((MODEL_NAMES as readonly string[]).includes(text)) return text as ModelName;
  throw errors.CLI_USAGE(`--model: expected one of ${MODEL_NAMES.join(', ')}, got ${JSON.stringify(text)}`);
}
