import { resolve } from 'node:path';
import { z } from 'zod';
import {
  hostSchema,
  intRange,
  modelNameSchema,
  portSchema,
  validateConfig,
  workersSchema,
} from '../config/validate-config.js';
import type { ModelName } from '../net/types.js';

const drainTimeoutSchema = intRange(0, 2_147_483_647); // setTimeout's largest delay

/** The zod schema of an app's `settings.ts` default export; every key is optional and unknown keys are refused. */
export const settingsSchema = z.strictObject({
  host: hostSchema.default('127.0.0.1'),
  port: portSchema.default(8806),
  static: z
    .union([z.string().min(1), z.literal(false)], {
      error: 'expected a folder path relative to the app, or false for no static files',
    })
    .default('static'),
  debug: z.boolean({ error: 'expected true or false' }).default(false),
  model: modelNameSchema.default('event'),
  workers: workersSchema.default(2),
  drainTimeout: drainTimeoutSchema.default(30_000),
});

const overridesSchema = z.strictObject({
  host: hostSchema.optional(),
  port: portSchema.optional(),
  debug: z.boolean({ error: 'expected true or false' }).optional(),
  model: modelNameSchema.optional(),
  workers: workersSchema.optional(),
  drainTimeout: drainTimeoutSchema.optional(),
});

/** What an app's `settings.ts` may default-export: `{ host, port, static, debug }`, all optional. */
export type WebframeSettingsInput = z.input<typeof settingsSchema>;

/** Values that replace the app's settings, e.g. from the command line. */
export interface SettingsOverrides {
  host?: string;
  port?: number;
  debug?: boolean;
  model?: ModelName;
  workers?: number;
  drainTimeout?: number;
}

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

/**
 * Validates the settings exported by `file` (undefined when the app has no settings file), resolves `static`
 * against the app folder `dir` and applies `overrides`. Throws `CONFIG_INVALID` naming the file and the key.
 */
export function resolveSettings(
  raw: unknown,
  file: string,
  dir: string,
  overrides: SettingsOverrides = {},
): WebframeSettings {
  const parsed = validateConfig(settingsSchema, raw ?? {}, file);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const extra = validateConfig(overridesSchema, defined, 'overrides');
  return Object.freeze({
    host: extra.host ?? parsed.host,
    port: extra.port ?? parsed.port,
    static: parsed.static === false ? false : resolve(dir, parsed.static),
    debug: extra.debug ?? parsed.debug,
    model: extra.model ?? parsed.model,
    workers: extra.workers ?? parsed.workers,
    drainTimeout: extra.drainTimeout ?? parsed.drainTimeout,
  });
}
