import { type ParseArgsConfig, parseArgs } from 'node:util';

/** What parseCommandLine returns: parseArgs' values and positionals for options `O`. */
export type ParsedCommandLine<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>
>;

import {
  intRange,
  modelNameSchema,
  numeric,
  portSchema,
  validateFlag,
  workersSchema,
} from '../config/validate-config.js';
import { errors } from '../errors/catalogue.js';
import type { ModelName } from '../net/types.js';

/** The options table of a command, as `node:util` parseArgs takes it. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's argv with `node:util` parseArgs (strict), allowing at most `positionals.length`
 * positional arguments (named in `positionals`, for the message), or any number for `'any'` (the command
 * checks them). Every mistake is a usage error
 * (exit status 2) that names the flag or argument and points to `tandem COMMAND --help`.
 */
export function parseCommandLine<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  positionals: readonly string[] | 'any',
): ParsedCommandLine<O> {
  const help = `tandem ${command} --help shows the usage`;
  let parsed: ParsedCommandLine<O>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    const flag = /'(-[^' <]+)/.exec(error.message)?.[1] ?? '';
    if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw errors.CLI_USAGE(`${command}: unknown flag ${flag}; ${help}`);
    }
    if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const takesValue = options[flag.replace(/^-+/, '')]?.type === 'string';
      throw errors.CLI_USAGE(
        takesValue ? `${flag}: expected a value; ${help}` : `${flag}: takes no value; ${help}`,
      );
    }
    throw err;
  }
  const extra = positionals === 'any' ? [] : parsed.positionals.slice(positionals.length);
  if (extra.length > 0) {
    const takes =
      positionals === 'any' || positionals.length === 0
        ? 'takes no arguments'
        : `takes at most ${positionals.join(' and ')}`;
    const config =
      'config' in options && extra[0]?.endsWith('.json') ? ` (a config file: --config ${extra[0]})` : '';
    throw errors.CLI_USAGE(
      `${command}: unexpected argument ${JSON.stringify(extra[0])}${config}; it ${takes}; ${help}`,
    );
  }
  return parsed;
}

/** Parses a port flag (0 … 65535), or throws a usage error naming the flag. */
export function parsePort(text: string, flag: string): number {
  return validateFlag(portSchema, numeric(text), flag);
}

/** Parses a count flag such as `--workers` (1 … 256), or throws a usage error naming the flag. */
export function parseCount(text: string, flag: string): number {
  return validateFlag(workersSchema, numeric(text), flag);
}

/** Parses a duration flag in ms such as `--drain-timeout` (0 … 2147483647), or throws a usage error. */
export function parseMillis(text: string, flag: string): number {
  return validateFlag(intRange(0, 2_147_483_647), numeric(text), flag);
}

/** Parses `--model`, or throws a usage error listing the models. */
export function parseModel(text: string): ModelName {
  return validateFlag(modelNameSchema, text, '--model');
}

/** The models that have workers (processes, threads, or children at once) for `--workers` to count. */
const MODELS_WITH_WORKERS: readonly ModelName[] = ['prefork', 'thread', 'fork'];

/**
 * `--workers` given with a model that has none (loop, event) is accepted and ignored, with one warning line
 * on stderr: the same in every command, so that a script that sets both keeps running when the model changes.
 * `counted` is the models that use it in this command (ftpd's fork is one child per connection).
 */
export function warnIfWorkersIgnored(
  model: ModelName,
  workersGiven: boolean,
  counted: readonly ModelName[] = MODELS_WITH_WORKERS,
): void {
  if (workersGiven && !counted.includes(model)) {
    process.stderr.write(
      `tandem: warning: --workers is ignored by the ${model} model (only ${counted.join(', ')} use it)\n`,
    );
  }
}
