import { z } from 'zod';
import { errors } from '../errors/catalogue.js';
import { deepFreeze } from './deep-freeze.js';

// How a mistake in a config is worded, the same in every command: a file's value as
// `FILE: key "timeouts.upstream": expected …, got …` (CONFIG_INVALID, exit status 1), a flag's as
// `--port: expected …, got …` (CLI_USAGE, exit status 2).

/**
 * Validates `value` against `schema` and returns the parsed result, deeply frozen.
 * Throws `errors.CONFIG_INVALID(file, key, expected)` for the first issue only, where `key` is the dotted
 * path (`timeouts.upstream`) and `expected` says what was expected and what was got.
 * Schemas should be strict objects so that unknown keys are reported by name.
 */
export function validateConfig<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) throw errors.CONFIG_INVALID(file, '(top level)', 'invalid value');
    throw describeIssue(schema, issue, file);
  }
  return deepFreeze(result.data);
}

/**
 * Validates one command-line flag's value (text as typed, true/false, or a list) against `schema` and
 * returns the parsed result; text of plain decimal digits is read as a number where `schema` wants one.
 * Throws `errors.CLI_USAGE` worded as `--port: expected an integer from 0 to 65535, got "abc"`: the same
 * words a config file's key gets, so that every command reports a bad flag value alike (exit status 2).
 */
export function validateFlag<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const given = schema instanceof z.ZodNumber && typeof value === 'string' ? numeric(value) : value;
  const result = schema.safeParse(given, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const expected = issue === undefined ? 'expected a valid value' : expectedText(issue);
  throw errors.CLI_USAGE(`${flag}: ${expected}, got ${describeValue(given)}`);
}

/** Only plain decimal digits become a number; anything else is reported as given (`got "8o8o"`). */
function numeric(text: string): number | string {
  return /^\d{1,10}$/.test(text) ? Number(text) : text;
}

function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue, file: string): Error {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0] ?? ''].join('.');
    const known = knownKeys(schema, issue.path);
    const hint = known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
    return errors.CONFIG_INVALID(file, key, `unknown key${hint}`);
  }
  const key = path.length > 0 ? path.join('.') : '(top level)';
  return errors.CONFIG_INVALID(file, key, `${expectedText(issue)}, got ${describeValue(issue.input)}`);
}

function expectedText(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith('expected')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}`;
    default:
      return `expected a valid value (${issue.message})`;
  }
}

/** Describes a received value briefly, the way it would be written in JSON. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The keys a strict object accepts at `path` inside `schema`, or none when that cannot be told. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (let depth = 0; ; depth++) {
    current = unwrap(current);
    // An array's entries (`users.0.name`): the path's index steps into the element schema.
    if (current instanceof z.ZodArray && depth < path.length && typeof path[depth] === 'number') {
      current = current.element;
      continue;
    }
    if (!(current instanceof z.ZodObject)) return [];
    if (depth === path.length) return Object.keys(current.shape);
    current = (current.shape as Record<string, unknown>)[String(path[depth])];
  }
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}
