import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { errors } from '../errors/catalogue.js';
import { deepFreeze } from './deep-freeze.js';
import { validateConfig, validateFlag } from './validate-config.js';

/** What one layer of a config (its file, or its flags) sets: any of its keys, a section's keys one by one. */
export type ConfigLayer<C> = {
  [K in keyof C]?: C[K] extends readonly unknown[] ? C[K] : C[K] extends object ? Partial<C[K]> : C[K];
};

/** A flag's value as the command line gave it: its text, true or false, or the list of a repeated flag. */
export type FlagValue = string | number | boolean | readonly string[];

/** How one flag (or a positional argument) sets one key of a config. */
export interface FlagRule<V> {
  /** The flag as the user writes it, for messages: `--port`, or `ROOT` for an argument. */
  readonly name: string;
  /** The key's value from the flag's; throws a usage error (CLI_USAGE) that names the flag. */
  read(value: FlagValue): V;
}

/** The rule of a flag whose value `schema` checks, its mistakes worded as `--port: expected …, got "abc"`. */
export function flagRule<V>(name: string, schema: z.ZodType<V>): FlagRule<V> {
  return { name, read: (value) => validateFlag(schema, value, name) };
}

/** Everything a command's config is made of, below the sources of one start (ConfigSources). */
export interface ConfigSpec<C> {
  /** The value of every key that neither the file nor a flag sets. */
  readonly defaults: C;
  /** The schema of a file's content, strict with every key optional; `base` is the file's folder. */
  file(base: string): z.ZodType<ConfigLayer<C>>;
  /** The flags, by the key each one sets. */
  readonly flags: { readonly [K in keyof C]?: FlagRule<NonNullable<ConfigLayer<C>[K]>> };
  /** Keys whose layers combine (a list a flag adds to) instead of the upper layer's value replacing the lower's. */
  readonly combine?: {
    readonly [K in keyof C]?: (lower: C[K], upper: NonNullable<ConfigLayer<C>[K]>) => C[K];
  };
  /**
   * Keys that may be set to no effect, and why the loaded config ignores them (`by the event model (…)`), or
   * undefined when it does not: such a key is accepted, with a warning that names where it was set.
   */
  readonly ignored?: { readonly [K in keyof C]?: (config: C) => string | undefined };
}

/** The sources of one load: a file, the flags, and where warnings go. */
export interface ConfigSources<C> {
  /**
   * The config file: its path (JSON, read here; a missing file is an error), or its content already loaded (a
   * module's default export) with its path for messages; relative paths in it are resolved against its folder.
   */
  readonly file?: string | { readonly path: string; readonly content: unknown };
  /** What the flags set, as readFlags returned it. */
  readonly flags?: ConfigLayer<C>;
  /** Receives each warning, one line without the `tandem: warning: ` prefix; by default none is shown. */
  readonly warn?: (message: string) => void;
}

/**
 * Reads the flags that were given (`undefined`: not given) into what they set, by the spec's rules.
 * Throws a usage error (CLI_USAGE) naming the first bad flag.
 */
export function readFlags<C>(
  spec: ConfigSpec<C>,
  values: { readonly [K in keyof C]?: FlagValue | undefined },
): ConfigLayer<C> {
  const layer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values as Record<string, FlagValue | undefined>)) {
    if (value === undefined) continue;
    const rule = (spec.flags as Record<string, FlagRule<unknown> | undefined>)[key];
    // A bug, not a user's mistake: the command passed a value no flag of its config reads.
    if (rule === undefined) throw new TypeError(`no flag sets the config key "${key}"`);
    layer[key] = rule.read(value);
  }
  return layer as ConfigLayer<C>;
}

/**
 * Loads a config from its layers, defaults < file < flags, and returns it deeply frozen. A section (an object
 * such as `timeouts`) is merged key by key, anything else is replaced by the upper layer unless the spec
 * combines it. A bad file is refused naming the file and the key (CONFIG_UNREADABLE, CONFIG_INVALID); a set key
 * the config ignores is a warning naming the file and key, or the flag.
 */
export function loadConfig<C extends object>(spec: ConfigSpec<C>, sources: ConfigSources<C>): C {
  const { file } = sources;
  const path = typeof file === 'string' ? file : file?.path;
  const fileLayer =
    path === undefined
      ? {}
      : validateConfig(
          spec.file(dirname(resolve(path))),
          typeof file === 'string' ? readJsonConfig(file) : (file?.content ?? {}),
          path,
        );
  const layers: [ConfigLayer<C>, (key: string) => string][] = [
    [fileLayer, (key) => `${path}: key "${key}"`],
    [sources.flags ?? {}, (key) => (spec.flags as Record<string, FlagRule<unknown>>)[key]?.name ?? key],
  ];
  const config = { ...spec.defaults } as Record<string, unknown>;
  const setBy = new Map<string, string>();
  for (const [layer, where] of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const lower = config[key];
      const combine = (spec.combine as Record<string, (l: unknown, u: unknown) => unknown> | undefined)?.[
        key
      ];
      config[key] =
        combine !== undefined ? combine(lower, value) : isSection(lower) ? { ...lower, ...value } : value;
      setBy.set(key, where(key));
    }
  }
  const loaded = deepFreeze(config as C);
  for (const [key, why] of Object.entries(spec.ignored ?? {})) {
    const reason = (why as (config: C) => string | undefined)(loaded);
    const where = setBy.get(key);
    if (reason !== undefined && where !== undefined) sources.warn?.(`${where} is ignored ${reason}`);
  }
  return loaded;
}

/** True for a config section (a plain object such as `timeouts`), which layers merge key by key. */
function isSection(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads a JSON config file and returns its parsed value, not yet validated.
 * Throws `errors.CONFIG_UNREADABLE(file, reason)` when the file is missing, unreadable or not valid JSON.
 */
function readJsonConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw errors.CONFIG_UNREADABLE(file, code === 'ENOENT' ? 'file not found' : (err as Error).message);
  }
  // A UTF-8 byte order mark is not JSON, but editors write it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw errors.CONFIG_UNREADABLE(file, `invalid JSON: ${(err as Error).message}`);
  }
}
