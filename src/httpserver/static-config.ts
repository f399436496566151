import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanSchema, directoryProblem, directorySchema, eachOnce } from '../config/config-schemas.js';
import type { FlagRule } from '../config/layered-config.js';
import { validateFlag } from '../config/validate-config.js';
import { errors } from '../errors/catalogue.js';

/** One directory the httpserver serves itself (no trip to the webframe), under a URL path prefix. */
export interface StaticRouteConfig {
  /** The URL path prefix, starting and ending with '/', matched on the raw (percent-encoded) path. */
  prefix: string;
  /** The directory served, absolute (a relative one in the file is resolved against the file's directory). */
  root: string;
  /** A Cache-Control value sent with the files (and 304s) under this prefix; none when undefined. */
  cacheControl?: string;
  /** Serve an HTML listing of a directory that has no index.html; default false. */
  listing: boolean;
}

/** Why `prefix` is not a usable static prefix, or undefined when it is. */
function prefixProblem(prefix: string): string | undefined {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    return 'expected a URL path prefix that starts and ends with "/", such as "/assets/"';
  }
  // RFC 3986 §3.3 pchar, minus "=" (it ends the prefix in `--static /PREFIX/=DIR`).
  if (!/^\/(?:(?:[A-Za-z0-9\-._~!$&'()*+,;:@]|%[0-9A-Fa-f]{2})+\/)*$/.test(prefix)) {
    return "expected path segments of letters, digits, -._~!$&'()*+,;:@ or %XX escapes, with no empty segment";
  }
  if (prefix.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
    return 'expected a prefix without "." or ".." segments';
  }
  return undefined;
}

const prefixSchema = z.string({ error: 'expected a URL path prefix such as "/assets/"' }).check((ctx) => {
  const problem = prefixProblem(ctx.value);
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

const CACHE_CONTROL_ERROR = 'expected a Cache-Control value such as "public, max-age=3600" (printable ASCII)';
const cacheControlSchema = z
  .string({ error: CACHE_CONTROL_ERROR })
  .regex(/^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/, { error: CACHE_CONTROL_ERROR });

/** The zod schema of the `static` list, roots resolved against `base`; each prefix may appear once. */
export function staticListSchema(base: string) {
  const entry = z.strictObject(
    {
      prefix: prefixSchema,
      root: directorySchema(base),
      cacheControl: cacheControlSchema.optional(),
      listing: booleanSchema.optional(),
    },
    { error: 'expected an object such as { "prefix": "/assets/", "root": "./public" }' },
  );
  return z
    .array(entry, { error: 'expected an array of { "prefix", "root" } objects' })
    .check(eachOnce('prefix'))
    .transform((items): StaticRouteConfig[] =>
      items.map((item) => ({
        prefix: item.prefix,
        root: item.root,
        ...(item.cacheControl === undefined ? {} : { cacheControl: item.cacheControl }),
        listing: item.listing ?? false,
      })),
    );
}

/** The zod schema of one `--static /PREFIX/=DIR` flag; DIR is resolved against the working directory. */
const staticFlagSchema = z.string().transform((value, ctx): StaticRouteConfig => {
  const eq = value.indexOf('=');
  const prefix = value.slice(0, eq);
  let problem =
    eq < 1 || eq === value.length - 1
      ? 'expected /PREFIX/=DIR such as /assets/=./public'
      : prefixProblem(prefix);
  if (problem === undefined) {
    const root = resolve(value.slice(eq + 1));
    problem = directoryProblem(root);
    if (problem === undefined) return { prefix, root, listing: false };
  }
  ctx.issues.push({ code: 'custom', message: problem, input: value });
  return z.NEVER;
});

/** The rule of `--static /PREFIX/=DIR`, a repeatable flag: each prefix once, each DIR an existing directory. */
export const staticFlagRule: FlagRule<StaticRouteConfig[]> = {
  name: '--static',
  read(value) {
    const seen = new Set<string>();
    return (Array.isArray(value) ? value : [value]).map((text) => {
      const entry = validateFlag(staticFlagSchema, text, '--static');
      if (seen.has(entry.prefix)) {
        throw errors.CLI_USAGE(`--static: expected each prefix once, got "${entry.prefix}" twice`);
      }
      seen.add(entry.prefix);
      return entry;
    });
  },
};

/** The file's static entries followed by the flags'; a flag's entry replaces the file's for the same prefix. */
export function mergeStatic(
  file: readonly StaticRouteConfig[],
  flags: readonly StaticRouteConfig[],
): StaticRouteConfig[] {
  const overridden = new Set(flags.map((entry) => entry.prefix));
  return [...file.filter((entry) => !overridden.has(entry.prefix)), ...flags].map((entry) => ({ ...entry }));
}
