import { resolve } from 'node:path';
import { z } from 'zod';
import {
  booleanSchema,
  configObject,
  hostSchema,
  millisSchema,
  modelNameSchema,
  portSchema,
  workersIgnoredBy,
  workersSchema,
} from '../config/config-schemas.js';
import { type ConfigSpec, flagRule, loadConfig, readFlags } from '../config/layered-config.js';
import { validateConfig } from '../config/validate-config.js';
import type { ModelName } from '../net/types.js';

/** An app's settings once loaded: defaults filled in, `static` made absolute (or false), frozen. */
export interface WebframeSettings {
  /** Address the webframe listens on; default 127.0.0.1. */
  readonly host: string;
  /** Port the webframe listens on; default 8806 (the seed's frame_port). */
  readonly port: number;
  /** Absolute path of the static folder, or false when static files are off. */
  readonly static: string | false;
  /** Whether a failing view's page shows the stack; default false. */
  readonly debug: boolean;
  /** How connections from httpservers are served: `event` (default), `loop`, `fork`, `prefork`, `thread`. */
  readonly model: ModelName;
  /** Worker processes or threads for prefork and thread; most children at once for fork. Default 2. */
  readonly workers: number;
  /** ms a graceful stop lets open streams finish before the rest is cut (and logged); default 30000. */
  readonly drainTimeout: number;
}

/** What an app's `settings.ts` may default-export; every key is optional, unknown keys are refused. */
export interface WebframeSettingsInput {
  host?: string;
  port?: number;
  /** A folder relative to the app (default `static`), or false for no static files. */
  static?: string | false;
  debug?: boolean;
  model?: ModelName;
  workers?: number;
  drainTimeout?: number;
}

/** Values that replace the app's settings, e.g. from the command line: any setting but `static`. */
export type SettingsOverrides = Omit<WebframeSettingsInput, 'static'>;

/** The `tandem webframe` flags that set a setting (`drainTimeout` is `--drain-timeout`), as given. */
export type SettingsFlags = { [K in keyof SettingsOverrides]?: string | boolean };

/** What settings.ts may export, checked key by key. */
const settingsFileSchema = configObject({
  host: hostSchema,
  port: portSchema,
  static: z.union([z.string().min(1), z.literal(false)], {
    error: 'expected a folder path relative to the app, or false for no static files',
  }),
  debug: booleanSchema,
  model: modelNameSchema,
  workers: workersSchema,
  drainTimeout: millisSchema(0),
});

/** What a caller may override (every setting but `static`), checked as settings.ts is. */
const overridesSchema = settingsFileSchema.omit({ static: true });

/** The settings: defaults < the app's settings.ts < the flags (or a caller's overrides). */
const settingsSpec: ConfigSpec<WebframeSettings> = {
  defaults: Object.freeze({
    host: '127.0.0.1',
    port: 8806,
    static: 'static',
    debug: false,
    model: 'event',
    workers: 2,
    drainTimeout: 30_000,
  }),
  file: () => settingsFileSchema,
  flags: {
    host: flagRule('--host', hostSchema),
    port: flagRule('--port', portSchema),
    debug: flagRule('--debug', booleanSchema),
    model: flagRule('--model', modelNameSchema),
    workers: flagRule('--workers', workersSchema),
    drainTimeout: flagRule('--drain-timeout', millisSchema(0)),
  },
  ignored: { workers: (settings) => workersIgnoredBy(settings.model) },
};

/** Reads the `tandem webframe` flags into overrides; throws a usage error naming the first bad flag. */
export function readSettingsFlags(flags: SettingsFlags): SettingsOverrides {
  return readFlags(settingsSpec, flags);
}

/**
 * Validates the settings exported by `file` (undefined when the app has no settings file), resolves `static`
 * against the app folder `dir` and applies `overrides`. Throws `CONFIG_INVALID` naming the file and the key.
 * `warn` gets a line for a setting that is set but ignored (`workers` under the event model), naming its file
 * and key, or its flag.
 */
export function resolveSettings(
  raw: unknown,
  file: string,
  dir: string,
  overrides: SettingsOverrides = {},
  warn?: (message: string) => void,
): WebframeSettings {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const flags = validateConfig(overridesSchema, defined, 'overrides');
  const settings = loadConfig(settingsSpec, { file: { path: file, content: raw }, flags, warn });
  return Object.freeze({
    ...settings,
    static: settings.static === false ? false : resolve(dir, settings.static),
  });
}
