import { type ParseArgsConfig, parseArgs } from 'node:util';
import { errors } from '../errors/catalogue.js';

// No validator here (zod): ftpd's process parses its command line with this alone and validates the values on
// its config thread (load-ftp-config.ts), so that zod never becomes part of its memory.

/** What parseCommandLine returns: parseArgs' values and positionals for options `O`. */
export type ParsedCommandLine<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>
>;

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
